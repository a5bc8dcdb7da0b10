/**
 * The AWS DeadLetterPort. The notifier Lambda is invoked asynchronously by SNS; when delivery fails
 * for good we log the dead letter and throw, so Lambda retries the event (twice, by default) and then
 * sends it to the function's on-failure destination / DLQ (an SQS queue, CDK in lib/). Redrive: send
 * the queue's messages back to the function (`aws lambda invoke` with the stored event, or an SQS
 * event source while draining); the delivery store makes redrive resume, never repost.
 */
import { NotificationDeadLetteredError } from '../../../core/notify/errors.ts';
import type { DeadLetter, DeadLetterPort } from '../../slack/ports.ts';

export function createLambdaFailureDeadLetters(
  log: (entry: Record<string, unknown>) => void = (e) => console.error(JSON.stringify(e)),
): DeadLetterPort {
  return {
    async deadLetter(letter: DeadLetter): Promise<void> {
      log({
        message: 'notification dead-lettered',
        id: letter.notification.id,
        error: letter.error,
        attempts: letter.attempts,
        progress: letter.progress,
      });
      throw new NotificationDeadLetteredError(
        letter.notification.id,
        `Notification ${letter.notification.id} not delivered: ${letter.error.message}`,
      );
    },
  };
}
