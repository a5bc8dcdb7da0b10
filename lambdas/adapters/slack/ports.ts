/** Ports of the notification path: where delivery progress, dead letters and charts come from. */
import type { Notification } from '../../core/notify/notification.ts';

/**
 * Progress of one notification, by id. The message is posted once (`ts` is set right after), then
 * the thread attachments; a retry or a redelivered event resumes after the last step done.
 */
export interface DeliveryRecord {
  readonly id: string;
  readonly channel: string;
  /** Slack message timestamp, once posted. */
  readonly ts?: string;
  readonly chart?: 'uploaded' | 'none';
  readonly fullData?: 'uploaded' | 'none';
  readonly completed: boolean;
  /** ISO 8601, last update. */
  readonly at: string;
}

export interface DeliveryStore {
  get(id: string): Promise<DeliveryRecord | undefined>;
  /**
   * Takes the delivery of `id` for `leaseMs` (a conditional write on AWS). False when another worker
   * holds an unexpired lease or the delivery is complete: of two copies of one SNS event, one delivers.
   */
  claim(id: string, owner: string, leaseMs: number): Promise<boolean>;
  put(record: DeliveryRecord): Promise<void>;
  release(id: string, owner: string): Promise<void>;
}

export interface DeadLetter {
  readonly notification: Notification;
  readonly error: { readonly name: string; readonly message: string };
  readonly attempts: number;
  /** How far delivery got (so a redrive resumes, never reposts). */
  readonly progress?: DeliveryRecord;
  readonly at: string;
}

/** Where a notification goes when delivery failed for good: a JSONL file locally, the Lambda DLQ on AWS. */
export interface DeadLetterPort {
  deadLetter(letter: DeadLetter): Promise<void>;
}

export interface ChartImage {
  readonly png: Uint8Array;
  readonly filename: string;
  /** Set when the PNG is also on disk (local platform). */
  readonly path?: string;
}

/** Renders the notification's chart: CloudWatch GetMetricWidgetImage on AWS, the PNG renderer locally. */
export interface ChartPort {
  render(notification: Notification): Promise<ChartImage | undefined>;
}

export type DeliveryStatus = 'sent' | 'duplicate' | 'busy' | 'dead-lettered' | 'outbox';

export interface DeliveryResult {
  readonly id: string;
  readonly status: DeliveryStatus;
  readonly channel: string;
  readonly ts?: string;
  /** HTTP attempts made for this delivery (all API calls). */
  readonly attempts: number;
  readonly error?: string;
}

/** Anything that delivers notifications: the Slack notifier, the local outbox. */
export interface NotificationSink {
  deliver(notification: Notification): Promise<DeliveryResult>;
}

/** Delivery progress in memory: tests, and one-process local runs. */
export class InMemoryDeliveryStore implements DeliveryStore {
  readonly records = new Map<string, DeliveryRecord>();
  private readonly leases = new Map<string, { owner: string; until: number }>();
  constructor(private readonly now: () => number = Date.now) {}

  async get(id: string): Promise<DeliveryRecord | undefined> {
    return this.records.get(id);
  }
  async claim(id: string, owner: string, leaseMs: number): Promise<boolean> {
    if (this.records.get(id)?.completed) return false;
    const lease = this.leases.get(id);
    if (lease && lease.owner !== owner && lease.until > this.now()) return false;
    this.leases.set(id, { owner, until: this.now() + leaseMs });
    return true;
  }
  async put(record: DeliveryRecord): Promise<void> {
    this.records.set(record.id, record);
  }
  async release(id: string, owner: string): Promise<void> {
    if (this.leases.get(id)?.owner === owner) this.leases.delete(id);
  }
}
