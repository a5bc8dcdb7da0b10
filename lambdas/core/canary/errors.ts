/** Errors of the canary domain. `name` is what a Step Functions `ErrorEquals` matches. */

/** Base class: anything the canary judge refuses to judge. */
export class CanaryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CanaryError';
  }
}

/** The `canary` key of a `.vouch.yml` is invalid; the message says what to fix. */
export class CanarySpecError extends CanaryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CanarySpecError';
  }
}

/** The judge was handed samples it cannot use (negative counts, NaN latencies ...). */
export class CanarySamplesError extends CanaryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CanarySamplesError';
  }
}
