/** SNS -> notifier: each record's body is a Notification (JSON). */
import { z } from 'zod';
import { NotificationDeadLetteredError } from '../../../core/notify/errors.ts';
import { parseNotification } from '../../../core/notify/notification.ts';
import type { DeliveryResult, NotificationSink } from '../../slack/ports.ts';

export const SnsEventSchema = z.object({
  Records: z.array(z.object({ Sns: z.object({ MessageId: z.string(), Message: z.string() }) })).min(1),
});

export type SnsEvent = z.infer<typeof SnsEventSchema>;

/**
 * Delivers every notification of the event. Throws when any was dead-lettered, so Lambda's retries
 * and on-failure destination keep the event (deliveries already done are skipped on the retry).
 */
export async function deliverSnsNotifications(
  event: unknown,
  sink: NotificationSink,
): Promise<DeliveryResult[]> {
  const { Records } = SnsEventSchema.parse(event);
  const results: DeliveryResult[] = [];
  for (const record of Records) {
    const notification = parseNotification(JSON.parse(record.Sns.Message));
    const result = await sink.deliver(notification);
    results.push(result);
    if (result.status === 'dead-lettered') {
      throw new NotificationDeadLetteredError(
        notification.id,
        `Notification ${notification.id} not delivered: ${result.error ?? 'unknown'}`,
      );
    }
  }
  return results;
}
