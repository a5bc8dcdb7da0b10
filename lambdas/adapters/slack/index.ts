/**
 * The Slack notifier and its ports. (The local platform and the CLI compose it with the local outbox
 * in lambdas/adapters/local/notificationSink.ts; on AWS, lambdas/handlers/notifier.ts composes it with
 * the AWS ports.)
 */
import type { Notification } from '../../core/notify/notification.ts';
import type { DeadLetter, DeliveryResult, NotificationSink } from './ports.ts';

export * from './ports.ts';
export { classifySlackError, DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.ts';
export { createSlackNotifier, createSlackWebClient, type SlackNotifierOptions } from './slackNotifier.ts';

/**
 * Delivers dead letters again. Safe to run any number of times: the delivery store resumes partial
 * deliveries and skips complete ones, so redriving never posts a message twice.
 */
export async function redriveDeadLetters(
  letters: readonly DeadLetter[],
  sink: NotificationSink,
): Promise<DeliveryResult[]> {
  const seen = new Set<string>();
  const results: DeliveryResult[] = [];
  for (const letter of letters) {
    const n: Notification = letter.notification;
    if (seen.has(n.id)) continue;
    seen.add(n.id);
    results.push(await sink.deliver(n));
  }
  return results;
}
