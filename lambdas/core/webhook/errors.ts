/**
 * Errors of the webhook domain. All but `UnknownCommitError` mean "our side failed" (503, redeliver
 * later); `UnknownCommitError` means the sender named a commit its repository does not have (422).
 */

/** Base class: anything the webhook refuses or cannot do. */
export class WebhookError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WebhookError';
  }
}

/** The webhook secret could not be read (Secrets Manager down, secret missing or empty). */
export class WebhookSecretError extends WebhookError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WebhookSecretError';
  }
}

/** `.vouch.yml` could not be read because the git host or working copy could not be reached. */
export class SpecReadError extends WebhookError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SpecReadError';
  }
}

/** The pipeline run could not be started (Step Functions or the local engine refused or was down). */
export class ExecutionStartError extends WebhookError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExecutionStartError';
  }
}

/** The delivery ledger (the replay and idempotency guard in the build table) could not be read or written. */
export class DeliveryLedgerError extends WebhookError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeliveryLedgerError';
  }
}

/**
 * The pushed commit is not in the repository the push names (a working copy that lacks it, or a
 * repository the sender got wrong): the sender's input is wrong, so it is answered 422, not 503.
 */
export class UnknownCommitError extends WebhookError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnknownCommitError';
  }
}
