/** Errors of the dashboard and the control path it shares with the CLI. */

/** Base class: anything the dashboard refuses or cannot do. */
export class DashboardError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DashboardError';
  }
}

/** A request the dashboard's HTTP API refuses, with its status. */
export class DashboardHttpError extends DashboardError {
  constructor(
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DashboardHttpError';
  }
}

/** The platform refused a promote, abort or rollback (the caller may not, or the request is wrong). */
export class ControlRefusedError extends DashboardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ControlRefusedError';
  }
}

/** The control path could not be reached (no platform running, the network, AWS unreachable). */
export class ControlUnavailableError extends DashboardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ControlUnavailableError';
  }
}

/** The deployed stack (or its outputs) the dashboard and `--aws` commands read was not found. */
export class AwsStackNotFoundError extends DashboardError {
  constructor(message: string) {
    super(message);
    this.name = 'AwsStackNotFoundError';
  }
}
