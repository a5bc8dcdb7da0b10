/** Errors of the notification domain. */

/** Base class: anything that stops a notification reaching its team. */
export class NotifyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NotifyError';
  }
}

/** A notification message (SNS body, outbox file) does not match the Notification schema. */
export class NotificationInvalidError extends NotifyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NotificationInvalidError';
  }
}

/** No channel for the notification's team: the platform config must map every team to a channel. */
export class NotificationRoutingError extends NotifyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NotificationRoutingError';
  }
}

/**
 * Delivery failed for good (retries exhausted or a permanent Slack error) and the notification was
 * handed to the dead-letter port. On AWS the handler rethrows it so the Lambda's async retries and
 * its on-failure destination (the SQS DLQ) keep the event.
 */
export class NotificationDeadLetteredError extends NotifyError {
  readonly notificationId: string;
  constructor(notificationId: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NotificationDeadLetteredError';
    this.notificationId = notificationId;
  }
}
