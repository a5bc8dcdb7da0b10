/** Errors of the deploy target. Names are what a Step Functions `ErrorEquals` matches. */

/** Base class: anything a deploy target (bake, provision, deploy, route) refuses or cannot do. */
export class TargetError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TargetError';
  }
}

export class ImageBakeError extends TargetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageBakeError';
  }
}

export class ImageNotFoundError extends TargetError {
  constructor(
    readonly imageId: string,
    options?: { cause?: unknown },
  ) {
    super(`Image ${imageId} was not baked by this target`, options);
    this.name = 'ImageNotFoundError';
  }
}

export class EnvironmentNotFoundError extends TargetError {
  constructor(
    readonly environmentId: string,
    options?: { cause?: unknown },
  ) {
    super(`Environment ${environmentId} is not provisioned (or was destroyed)`, options);
    this.name = 'EnvironmentNotFoundError';
  }
}

export class InvalidWeightError extends TargetError {
  constructor(
    readonly weight: unknown,
    options?: { cause?: unknown },
  ) {
    super(`Canary weight must be a number from 0 to 100, got ${String(weight)}`, options);
    this.name = 'InvalidWeightError';
  }
}

export class NoCanaryError extends TargetError {
  constructor(
    readonly environmentId: string,
    action: string,
    options?: { cause?: unknown },
  ) {
    super(`Cannot ${action} in ${environmentId}: no canary is deployed`, options);
    this.name = 'NoCanaryError';
  }
}

export class InvalidRunSpecError extends TargetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidRunSpecError';
  }
}

/** The service did not become healthy: it exited, or its health path never answered 2xx in time. */
export class ServiceStartError extends TargetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ServiceStartError';
  }
}

export class NoBaselineError extends TargetError {
  constructor(
    readonly environmentId: string,
    options?: { cause?: unknown },
  ) {
    super(`Cannot deploy a canary in ${environmentId}: deploy a baseline first`, options);
    this.name = 'NoBaselineError';
  }
}

export class InvalidNameError extends TargetError {
  constructor(what: string, value: string, options?: { cause?: unknown }) {
    super(
      `Invalid ${what} '${value}': use letters, digits, '-' and '_' (starting with a letter or digit)`,
      options,
    );
    this.name = 'InvalidNameError';
  }
}

/** An image an environment runs cannot be removed (the sweeper keeps what serves). */
export class ImageInUseError extends TargetError {
  constructor(
    readonly imageId: string,
    readonly environmentId: string,
    options?: { cause?: unknown },
  ) {
    super(`Image ${imageId} runs in ${environmentId}; it cannot be removed`, options);
    this.name = 'ImageInUseError';
  }
}

/** A local service process found its port taken: it is started again on another one. */
export class PortTakenError extends TargetError {
  constructor(message: string) {
    super(message);
    this.name = 'PortTakenError';
  }
}

/** A local service's health check got no answer in time. */
export class HealthCheckTimeoutError extends TargetError {
  constructor(timeoutMs: number) {
    super(`health check timed out after ${timeoutMs} ms`);
    this.name = 'HealthCheckTimeoutError';
  }
}
