/**
 * Errors of the Lambda deploy target that the port's errors (lambdas/core/target/errors.ts) do not
 * cover. Names are what a Step Functions `ErrorEquals` matches.
 */

/** Base class: anything the Lambda deploy target refuses or cannot do. */
export class LambdaTargetError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LambdaTargetError';
  }
}

/** The target's configuration names no function for a service, or holds a wrong value. */
export class LambdaTargetConfigError extends LambdaTargetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LambdaTargetConfigError';
  }
}

/** Lambda takes code from S3 as a .zip only: the build step of a lambda-canary pipe uploads one. */
export class InvalidLambdaArtifactError extends LambdaTargetError {
  constructor(
    readonly source: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Bake source ${source} is not an s3://<bucket>/<key>.zip artifact; a Lambda service's build step uploads its deployment package as a .zip`,
      options,
    );
    this.name = 'InvalidLambdaArtifactError';
  }
}

/**
 * Another update of the function was in progress for the whole retry budget (two bakes of the same
 * service at once, or a deploy outside Vouch). Bake is re-entrant: a `Retry` on this name resumes it.
 */
export class FunctionUpdateConflictError extends LambdaTargetError {
  constructor(
    readonly functionName: string,
    attempts: number,
    options?: { cause?: unknown },
  ) {
    super(`Function ${functionName} stayed busy with another update for ${attempts} attempts`, options);
    this.name = 'FunctionUpdateConflictError';
  }
}

/** A published version did not become active (its code failed to load or initialise). */
export class FunctionVersionFailedError extends LambdaTargetError {
  constructor(
    readonly functionName: string,
    readonly version: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Version ${version} of ${functionName} failed: ${reason}`, options);
    this.name = 'FunctionVersionFailedError';
  }
}
