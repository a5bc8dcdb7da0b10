/**
 * Delivers notifications to Slack with @slack/web-api: the Block Kit message in the team's channel,
 * then, in its thread, the chart PNG and (when the message had to be cut to Slack's limits) the full
 * notification as JSON. Each step is recorded in the DeliveryStore under the notification id, so a
 * retry, a Lambda retry or a dead-letter redrive resumes and never posts the message twice.
 *
 * One gap no client can close: if Slack posts the message but the response is lost (timeout), the
 * retry posts again. The message carries the id in its `metadata` so such a duplicate can be found.
 */
import { randomUUID } from 'node:crypto';
import { LogLevel, WebClient } from '@slack/web-api';
import { channelFor, type Notification } from '../../core/notify/notification.ts';
import { buildSlackMessage } from '../../core/notify/slackMessage.ts';
import { SlackResponseError } from './errors.ts';
import type {
  ChartPort,
  DeadLetterPort,
  DeliveryRecord,
  DeliveryResult,
  DeliveryStore,
  NotificationSink,
} from './ports.ts';
import { callWithRetries, DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.ts';

export interface SlackNotifierOptions {
  /** A WebClient from `createSlackWebClient`; injected so tests point it at a local server. */
  readonly client: WebClient;
  /** team -> channel (id or name). */
  readonly teamChannels: Readonly<Record<string, string>>;
  readonly store: DeliveryStore;
  readonly deadLetters: DeadLetterPort;
  readonly chart?: ChartPort;
  readonly retry?: Partial<RetryPolicy>;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => Date;
  /** How long one delivery may hold its claim. */
  readonly leaseMs?: number;
  readonly log?: (line: string) => void;
}

export interface SlackWebClientOptions {
  /** e.g. `http://127.0.0.1:4567/api/` in tests; default Slack's own. */
  readonly slackApiUrl?: string;
  /** Per HTTP request; a hanging Slack must not hold the Lambda. */
  readonly timeoutMs?: number;
}

/** A WebClient that makes exactly one HTTP attempt per call: retries are the notifier's (see retry.ts). */
export function createSlackWebClient(token: string, options: SlackWebClientOptions = {}): WebClient {
  return new WebClient(token, {
    ...(options.slackApiUrl === undefined ? {} : { slackApiUrl: options.slackApiUrl }),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: options.timeoutMs ?? 10_000,
    logLevel: LogLevel.ERROR,
  });
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createSlackNotifier(options: SlackNotifierOptions): NotificationSink {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const now = options.now ?? (() => new Date());
  const log = options.log ?? (() => {});
  const leaseMs = options.leaseMs ?? 5 * 60_000;

  return {
    async deliver(notification: Notification): Promise<DeliveryResult> {
      const channel = channelFor(notification, options.teamChannels);
      const owner = randomUUID();
      let attempts = 0;
      const deps = {
        sleep: options.sleep ?? realSleep,
        random: options.random ?? Math.random,
        onAttempt: () => {
          attempts++;
        },
        waited: { ms: 0 },
      };
      const existing = await options.store.get(notification.id);
      if (existing?.completed)
        return {
          id: notification.id,
          status: 'duplicate',
          channel: existing.channel,
          ...tsOf(existing),
          attempts,
        };
      if (!(await options.store.claim(notification.id, owner, leaseMs))) {
        return { id: notification.id, status: 'busy', channel, attempts };
      }
      let record: DeliveryRecord = existing ?? {
        id: notification.id,
        channel,
        completed: false,
        at: now().toISOString(),
      };
      const save = async (patch: Partial<DeliveryRecord>) => {
        record = { ...record, ...patch, at: now().toISOString() };
        await options.store.put(record);
      };
      try {
        const chart =
          record.chart === undefined ? await renderChart(options.chart, notification, log) : undefined;
        // The chart goes into the thread as a file (Slack hosts it), not as an image block with a URL.
        const message = buildSlackMessage(notification, { channel: record.channel });
        if (record.ts === undefined) {
          const posted = await callWithRetries(
            () =>
              options.client.chat.postMessage({
                channel: record.channel,
                text: message.text,
                blocks: message.blocks,
                unfurl_links: false,
                metadata: { event_type: 'vouch_notification', event_payload: { id: notification.id } },
              }),
            policy,
            deps,
          );
          if (posted.ts === undefined)
            throw new SlackResponseError('chat.postMessage answered ok without a ts');
          await save({ ts: posted.ts, channel: posted.channel ?? record.channel });
        }
        const ts = record.ts as string;
        if (record.chart === undefined) {
          if (chart) {
            await callWithRetries(
              () =>
                options.client.files.uploadV2({
                  channel_id: record.channel,
                  thread_ts: ts,
                  file: Buffer.from(chart.png),
                  filename: chart.filename,
                  title: notification.chart?.title ?? 'metric chart',
                }),
              policy,
              deps,
            );
          }
          await save({ chart: chart ? 'uploaded' : 'none' });
        }
        if (record.fullData === undefined) {
          if (message.truncated) {
            await callWithRetries(
              () =>
                options.client.files.uploadV2({
                  channel_id: record.channel,
                  thread_ts: ts,
                  content: JSON.stringify(notification, null, 2),
                  filename: `${safeName(notification.id)}.json`,
                  title: 'Full notification (the message was cut to Slack limits)',
                }),
              policy,
              deps,
            );
          }
          await save({ fullData: message.truncated ? 'uploaded' : 'none' });
        }
        await save({ completed: true });
        return { id: notification.id, status: 'sent', channel: record.channel, ts, attempts };
      } catch (error) {
        // What the dead letter records of the failure; a thrown non-Error is recorded as its text.
        const reason = error instanceof Error ? error : { name: 'Error', message: String(error) };
        log(`notification ${notification.id} dead-lettered: ${reason.message}`);
        await options.deadLetters.deadLetter({
          notification,
          error: { name: reason.name, message: reason.message },
          attempts,
          progress: record,
          at: now().toISOString(),
        });
        return {
          id: notification.id,
          status: 'dead-lettered',
          channel: record.channel,
          ...tsOf(record),
          attempts,
          error: reason.message,
        };
      } finally {
        await options.store.release(notification.id, owner);
      }
    },
  };
}

function tsOf(record: DeliveryRecord): { ts?: string } {
  return record.ts === undefined ? {} : { ts: record.ts };
}

function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100);
}

async function renderChart(
  chart: ChartPort | undefined,
  notification: Notification,
  log: (line: string) => void,
) {
  if (!chart || !notification.chart) return undefined;
  try {
    return await chart.render(notification);
  } catch (error) {
    // A chart is context, not the message: without it the numbers still go out.
    log(`chart for ${notification.id} not rendered: ${(error as Error).message}`);
    return undefined;
  }
}
