/** Errors of the Slack notifier and its ports. */

/** How a Slack call failed: what decides whether it is tried again. */
export type SlackFailure =
  | { readonly kind: 'rate-limited'; readonly retryAfterMs: number; readonly message: string }
  | { readonly kind: 'transient'; readonly message: string }
  | { readonly kind: 'permanent'; readonly message: string };

/** Base class: anything that stops the Slack notifier posting a message or its chart. */
export class SlackError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SlackError';
  }
}

/** Thrown when a call failed for good; carries the last classification. */
export class SlackCallFailedError extends SlackError {
  readonly failure: SlackFailure;
  readonly attempts: number;
  constructor(failure: SlackFailure, attempts: number, options?: { cause?: unknown }) {
    super(`Slack call failed after ${attempts} attempt(s): ${failure.kind}: ${failure.message}`, options);
    this.name = 'SlackCallFailedError';
    this.failure = failure;
    this.attempts = attempts;
  }
}

/** The chart a Slack message carries could not be drawn. */
export class ChartRenderError extends SlackError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ChartRenderError';
  }
}

/** Slack answered ok but without what the notifier needs (a posted message without its `ts`). */
export class SlackResponseError extends SlackError {
  constructor(message: string) {
    super(message);
    this.name = 'SlackResponseError';
  }
}
