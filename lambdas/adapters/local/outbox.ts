/**
 * Local notification adapters. With no Slack token the platform still "sends": each message is
 * appended as JSON to `.vouch/outbox/outbox.jsonl` (its chart PNG beside it) and printed readably to
 * the console. The JSONL dead-letter file and the file-backed delivery store serve the local
 * platform when it does talk to a real Slack.
 */
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { channelFor, type Notification } from '../../core/notify/notification.ts';
import {
  buildSlackMessage,
  renderSlackMessageText,
  type SlackMessage,
} from '../../core/notify/slackMessage.ts';
import type {
  ChartPort,
  DeadLetter,
  DeadLetterPort,
  DeliveryRecord,
  DeliveryResult,
  DeliveryStore,
  NotificationSink,
} from '../slack/ports.ts';

export interface OutboxEntry {
  readonly id: string;
  readonly at: string;
  readonly message: SlackMessage;
  readonly chartPath?: string;
  readonly notification: Notification;
}

export interface LocalOutboxOptions {
  /** Default `.vouch/outbox` under the current directory. */
  readonly dir?: string;
  readonly teamChannels?: Readonly<Record<string, string>>;
  readonly chart?: ChartPort;
  readonly print?: (text: string) => void;
  readonly now?: () => Date;
}

export const OUTBOX_FILE = 'outbox.jsonl';

/** A NotificationSink that writes to the outbox; at most one entry per notification id. */
export function createLocalOutbox(
  options: LocalOutboxOptions = {},
): NotificationSink & { readonly file: string } {
  const dir = options.dir ?? join(process.cwd(), '.vouch', 'outbox');
  const file = join(dir, OUTBOX_FILE);
  const print = options.print ?? ((text: string) => console.log(text));
  const now = options.now ?? (() => new Date());
  let delivered: Promise<Set<string>> | undefined;
  return {
    file,
    async deliver(notification: Notification): Promise<DeliveryResult> {
      // Locally a team without a configured channel gets `#<team>`: there is no Slack to reject it.
      const channel = options.teamChannels
        ? channelFor(notification, options.teamChannels)
        : (notification.channel ?? `#${notification.team}`);
      delivered ??= readOutbox(file).then((entries) => new Set(entries.map((e) => e.id)));
      const ids = await delivered;
      if (ids.has(notification.id)) return { id: notification.id, status: 'duplicate', channel, attempts: 0 };
      ids.add(notification.id);
      const chart =
        notification.chart && options.chart ? await options.chart.render(notification) : undefined;
      const message = buildSlackMessage(notification, {
        channel,
        ...(chart?.path ? { chart: { localPath: chart.path } } : {}),
      });
      const entry: OutboxEntry = {
        id: notification.id,
        at: now().toISOString(),
        message,
        ...(chart?.path ? { chartPath: chart.path } : {}),
        notification,
      };
      await mkdir(dir, { recursive: true });
      await appendFile(file, `${JSON.stringify(entry)}\n`);
      print(renderSlackMessageText(message));
      return { id: notification.id, status: 'outbox', channel, attempts: 0 };
    },
  };
}

async function readJsonl<T>(file: string): Promise<T[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

export function readOutbox(file: string): Promise<OutboxEntry[]> {
  return readJsonl<OutboxEntry>(file);
}

/** The local DeadLetterPort: one JSON line per dead letter, appended (a crash loses at most the line being written). */
export function createJsonlDeadLetters(file: string): DeadLetterPort & { read(): Promise<DeadLetter[]> } {
  return {
    async deadLetter(letter: DeadLetter): Promise<void> {
      await mkdir(dirname(file), { recursive: true });
      await appendFile(file, `${JSON.stringify(letter)}\n`);
    },
    read: () => readJsonl<DeadLetter>(file),
  };
}

/** Delivery progress in a JSON file, for a local platform that talks to a real Slack across restarts. */
export class FileDeliveryStore implements DeliveryStore {
  private readonly leases = new Map<string, { owner: string; until: number }>();
  constructor(
    private readonly file: string,
    private readonly now: () => number = Date.now,
  ) {}

  private async load(): Promise<Record<string, DeliveryRecord>> {
    try {
      return JSON.parse(await readFile(this.file, 'utf8')) as Record<string, DeliveryRecord>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
  }
  async get(id: string): Promise<DeliveryRecord | undefined> {
    return (await this.load())[id];
  }
  async claim(id: string, owner: string, leaseMs: number): Promise<boolean> {
    if ((await this.get(id))?.completed) return false;
    const lease = this.leases.get(id);
    if (lease && lease.owner !== owner && lease.until > this.now()) return false;
    this.leases.set(id, { owner, until: this.now() + leaseMs });
    return true;
  }
  async put(record: DeliveryRecord): Promise<void> {
    const all = await this.load();
    all[record.id] = record;
    await mkdir(dirname(this.file), { recursive: true });
    await writeFile(this.file, JSON.stringify(all, null, 2));
  }
  async release(id: string, owner: string): Promise<void> {
    if (this.leases.get(id)?.owner === owner) this.leases.delete(id);
  }
}
