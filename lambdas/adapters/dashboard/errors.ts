/** Errors of the dashboard and the control path it shares with the CLI. */

/** A request the dashboard's HTTP API refuses, with its status. */
export class DashboardHttpError extends Error {
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
export class ControlRefusedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ControlRefusedError';
  }
}

/** The control path could not be reached (no platform running, the network, AWS unreachable). */
export class ControlUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ControlUnavailableError';
  }
}
