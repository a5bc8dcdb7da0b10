/** Errors of the AWS wiring shared by every Lambda. */

/** Base class: anything the AWS wiring shared by every Lambda refuses or cannot do. */
export class AwsWiringError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AwsWiringError';
  }
}

/** A function's environment does not meet its contract (functionEnvironment.ts): says which variable. */
export class AwsEnvironmentError extends AwsWiringError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AwsEnvironmentError';
  }
}

/** The scheduled reconciler could not reconcile every service: names each one and why (the rest were done). */
export class ReconcileIncompleteError extends AwsWiringError {
  readonly failures: readonly { service: string; error: string }[];
  constructor(failures: readonly { service: string; error: unknown }[]) {
    super(
      `reconciling ${failures.length} service(s) failed: ${failures
        .map((f) => `${f.service}: ${(f.error as Error)?.message ?? String(f.error)}`)
        .join('; ')}`,
      { cause: failures[0]?.error },
    );
    this.name = 'ReconcileIncompleteError';
    this.failures = failures.map((f) => ({
      service: f.service,
      error: (f.error as Error)?.message ?? String(f.error),
    }));
  }
}

/** A reconcile request named a service the reconciler's registry does not have. */
export class UnknownReconcileServiceError extends AwsWiringError {
  constructor(service: string, known: readonly string[]) {
    super(`no registered service ${service} (registered: ${known.join(', ') || 'none'})`);
    this.name = 'UnknownReconcileServiceError';
  }
}

/** A secret the function reads holds no string value (e.g. the Slack bot token was never set). */
export class SecretValueMissingError extends AwsWiringError {
  constructor(secretArn: string, what: string) {
    super(`Secret ${secretArn} has no SecretString (${what})`);
    this.name = 'SecretValueMissingError';
  }
}
