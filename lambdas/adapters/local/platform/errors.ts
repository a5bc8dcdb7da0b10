/** Base class: anything the local platform refuses or cannot do. */
export class LocalPlatformError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LocalPlatformError';
  }
}

/** Errors of the local platform's operator controls: each maps to a 404 of the control API. */
export class UnknownLocalNameError extends LocalPlatformError {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownLocalNameError';
  }
}

export class UnknownLocalServiceError extends UnknownLocalNameError {
  constructor(service: string, known: string[]) {
    super(`unknown service "${service}"; this platform knows: ${known.join(', ') || 'none yet'}`);
    this.name = 'UnknownLocalServiceError';
  }
}

export class UnknownLocalEnvironmentError extends UnknownLocalNameError {
  constructor(service: string, environment: string, known: string[]) {
    super(`${service} has no environment "${environment}"; its environments: ${known.join(', ')}`);
    this.name = 'UnknownLocalEnvironmentError';
  }
}

export class UnknownLocalExecutionError extends UnknownLocalNameError {
  constructor(execution: string) {
    super(`no run "${execution}" on this platform`);
    this.name = 'UnknownLocalExecutionError';
  }
}
