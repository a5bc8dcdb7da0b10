/** Errors of the webhook domain: each means "our side failed" (503), never "the sender erred". */

/** The webhook secret could not be read (Secrets Manager down, secret missing or empty). */
export class WebhookSecretError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WebhookSecretError';
  }
}

/** `.vouch.yml` could not be read because the git host or working copy could not be reached. */
export class SpecReadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SpecReadError';
  }
}

/** The pipeline run could not be started (Step Functions or the local engine refused or was down). */
export class ExecutionStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExecutionStartError';
  }
}
