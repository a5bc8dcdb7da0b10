/**
 * Errors of the build data repository. Each `name` is what a Step Functions `Retry`/`Catch`
 * `ErrorEquals` matches, so a pipeline can, for example, retry `BuildDataThrottledError` and fail
 * fast on `MissingCommitError`.
 */

/** Base class: anything the build data repository refuses or cannot do. */
export class BuildDataError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BuildDataError';
  }
}

/** Input that does not describe a build (empty service, bad version, unknown kind...). */
export class InvalidBuildInputError extends BuildDataError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidBuildInputError';
  }
}

/** No commit SHA: every run is tied to a pushed commit, so no SHA, no version. */
export class MissingCommitError extends BuildDataError {
  constructor(readonly service: string) {
    super(`A version of ${service} needs the commit SHA it is built from; none was given`);
    this.name = 'MissingCommitError';
  }
}

/** A commit that is not a full hexadecimal SHA (40 for SHA-1 or 64 for SHA-256). */
export class InvalidCommitError extends BuildDataError {
  constructor(
    readonly service: string,
    readonly commit: string,
  ) {
    super(`"${commit}" is not a full commit SHA (40 or 64 hex characters); refusing a version of ${service}`);
    this.name = 'InvalidCommitError';
  }
}

/** A service that was never registered with the platform. */
export class UnknownServiceError extends BuildDataError {
  constructor(readonly service: string) {
    super(`Service ${service} is not registered with the build data repository; register it first`);
    this.name = 'UnknownServiceError';
  }
}

/** A (service, version) that was never allocated. */
export class UnknownBuildError extends BuildDataError {
  constructor(
    readonly service: string,
    readonly version: number,
  ) {
    super(`Build ${service} v${version} does not exist in the build data repository`);
    this.name = 'UnknownBuildError';
  }
}

/** The same execution came back with another service or commit: an execution name was reused. */
export class ExecutionConflictError extends BuildDataError {
  constructor(
    readonly execution: string,
    detail: string,
  ) {
    super(`Execution ${execution} already holds a version: ${detail}`);
    this.name = 'ExecutionConflictError';
  }
}

/** A report (or pipe shape) larger than the configured limit; nothing was written. */
export class ReportTooLargeError extends BuildDataError {
  constructor(
    readonly what: string,
    readonly sizeBytes: number,
    readonly limitBytes: number,
  ) {
    super(`${what} is ${sizeBytes} bytes, over the ${limitBytes}-byte limit; nothing was written`);
    this.name = 'ReportTooLargeError';
  }
}

/** The deploy lock of (service, environment) is held by another pipeline and has not expired. */
export class LockHeldError extends BuildDataError {
  constructor(
    readonly service: string,
    readonly environment: string,
    readonly holder: string | undefined,
    readonly heldUntil: string | undefined,
    waitedMs?: number,
  ) {
    const waited = waitedMs === undefined ? '' : ` after waiting ${Math.round(waitedMs / 1000)} s`;
    super(
      `Deploy lock of ${service} in ${environment} is held by ${holder ?? 'another pipeline'}` +
        `${heldUntil ? ` until ${heldUntil}` : ''}${waited}`,
    );
    this.name = 'LockHeldError';
  }
}

/** A paging cursor that this repository did not hand out. */
export class InvalidCursorError extends BuildDataError {
  constructor(options?: { cause?: unknown }) {
    super('The paging cursor is not one this repository returned', options);
    this.name = 'InvalidCursorError';
  }
}

/** DynamoDB kept throttling after the SDK's own retries. Safe to retry later: writes are idempotent. */
export class BuildDataThrottledError extends BuildDataError {
  constructor(operation: string, options?: { cause?: unknown }) {
    super(`The build table throttled ${operation} after retries; retry later`, options);
    this.name = 'BuildDataThrottledError';
  }
}

/** Any other failure talking to the table (network, permissions, missing table...). */
export class BuildDataUnavailableError extends BuildDataError {
  constructor(operation: string, options?: { cause?: unknown }) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(`The build table failed ${operation}${reason}`, options);
    this.name = 'BuildDataUnavailableError';
  }
}

/**
 * The build data a local platform had is gone or cannot be read: refusing to go on is the only safe
 * answer, since a new table would hand out version 1 again. The message says where and what to do.
 */
export class BuildDataLostError extends BuildDataError {
  constructor(
    readonly path: string,
    readonly problem: 'missing' | 'unreadable' | 'replaced',
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `The build data at ${path} is ${problem}: ${detail}. Vouch will not start over on its own (versions ` +
        `would restart at 1 and the history would be lost). Restore ${path} from a backup, or start over ` +
        'knowingly with `npm start -- --reset` (the old data is kept aside, renamed).',
      options,
    );
    this.name = 'BuildDataLostError';
  }
}

/** The build table did not become ACTIVE (with its indexes) in time after it was created. */
export class BuildTableNotReadyError extends BuildDataError {
  constructor(tableName: string, timeoutMs: number) {
    super(`Table ${tableName} did not become ACTIVE in ${timeoutMs} ms`);
    this.name = 'BuildTableNotReadyError';
  }
}
