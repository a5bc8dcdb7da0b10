/**
 * Errors of the AWS deploy target that the port's errors (lambdas/core/target/errors.ts) do not
 * cover. Names are what a Step Functions `ErrorEquals` matches.
 */

/** Base class: anything the EC2 deploy target refuses or cannot do on AWS. */
export class AwsTargetError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AwsTargetError';
  }
}

/** A bounded waiter ran out of attempts. Bake is re-entrant, so a `Retry` on this name resumes it. */
export class WaiterTimeoutError extends AwsTargetError {
  constructor(
    readonly waiter: string,
    readonly attempts: number,
    readonly lastState: string,
    options?: { cause?: unknown },
  ) {
    super(`Gave up waiting for ${waiter} after ${attempts} attempts (last state: ${lastState})`, options);
    this.name = 'WaiterTimeoutError';
  }
}

/** The target's configuration is missing a value or holds a wrong one: says what to fix. */
export class AwsTargetConfigError extends AwsTargetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AwsTargetConfigError';
  }
}

/** On AWS the bake source and overlays are artifact URIs (s3://...), not folders. */
export class InvalidBakeSourceError extends AwsTargetError {
  constructor(
    readonly source: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Bake source ${source} is not an s3:// artifact URI; on AWS the build step uploads the service artifact to S3 and bake fetches it from there`,
      options,
    );
    this.name = 'InvalidBakeSourceError';
  }
}

/** A lasting environment (qa, prod) is owned by the CDK stack: the pipeline never deletes it. */
export class EnvironmentProtectedError extends AwsTargetError {
  constructor(
    readonly environmentId: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Environment ${environmentId} is not ephemeral: it belongs to the CDK stack and is not destroyed by a run`,
      options,
    );
    this.name = 'EnvironmentProtectedError';
  }
}

/** The tagged target groups of an environment are not one baseline and one canary. */
export class TargetGroupLayoutError extends AwsTargetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TargetGroupLayoutError';
  }
}

/** No listener rule (nor the listener's default action) forwards to the environment's target groups. */
export class RoutingNotFoundError extends AwsTargetError {
  constructor(
    readonly environmentId: string,
    options?: { cause?: unknown },
  ) {
    super(`No listener rule or default action forwards to the target groups of ${environmentId}`, options);
    this.name = 'RoutingNotFoundError';
  }
}
