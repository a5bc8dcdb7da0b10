/**
 * A notification: what a pipeline tells a team, with the numbers its decision was made on.
 * Published to SNS on AWS (the body is this JSON), handed in-process locally; the same schema
 * validates both.
 */
import { z } from 'zod';
import { NotificationInvalidError, NotificationRoutingError } from './errors.ts';

const IsoTime = z.iso.datetime({ offset: true });

export const MetricPointSchema = z.strictObject({ t: IsoTime, v: z.number() });

export const MetricSeriesSchema = z.strictObject({
  /** e.g. 'canary', 'baseline'. */
  label: z.string().min(1),
  points: z.array(MetricPointSchema),
});

export const NotificationSignalSchema = z.strictObject({
  signal: z.string().min(1),
  outcome: z.enum(['PASS', 'FAIL', 'INCONCLUSIVE']),
  /** The canary's (or the environment's) value of the signal's statistic. */
  observed: z.number().nullable(),
  baseline: z.number().nullable().optional(),
  /** Change vs the baseline, in `unit`; and the allowed decay in the same unit. */
  effect: z.number().nullable().optional(),
  allowed: z.number(),
  unit: z.enum(['absolute', 'relative']),
  p: z.number().optional(),
  /** Unit of `observed` and `baseline`: ms for latency, ratio (0.01 = 1 %) for rates. */
  valueUnit: z.enum(['ms', 'ratio']).optional(),
  /** The test the verdict used, e.g. paired-t-log-ratio, farrington-manning. */
  test: z.string().optional(),
  /** Smallest change (in `unit`) the test could have detected, and how many periods of how long it compared. */
  detectable: z.number().optional(),
  periods: z.number().int().optional(),
  periodSeconds: z.number().int().positive().optional(),
  /** Requests each slot served in the compared periods. */
  samples: z.strictObject({ baseline: z.number().int(), canary: z.number().int() }).optional(),
  reason: z.string().optional(),
});

/** What the chart shows: one metric around the window. `cloudwatch` says where to read it on AWS. */
export const NotificationChartSchema = z.strictObject({
  title: z.string().min(1),
  unit: z.string().default(''),
  /** The y axis title, with its unit, e.g. "p50 latency per 60 s period (ms)". */
  axisLabel: z.string().optional(),
  series: z.array(MetricSeriesSchema).default([]),
  /** The allowed value (baseline + decay), drawn as a horizontal line. */
  threshold: z.number().optional(),
  cloudwatch: z
    .strictObject({
      /** CloudWatch metric-widget `metrics` array, e.g. [["Vouch", "Latency", "Service", "orders", { stat: "p99" }]]. */
      metrics: z.array(z.array(z.union([z.string(), z.record(z.string(), z.unknown())]))),
      region: z.string().optional(),
      period: z.number().int().positive().default(60),
    })
    .optional(),
});

export const NotificationSchema = z.strictObject({
  /** Idempotency key: the same id is delivered at most once (e.g. `<execution>#<task>#<step>`). */
  id: z.string().min(1).max(512),
  service: z.string().min(1),
  team: z.string().min(1),
  /** Overrides the team's channel. */
  channel: z.string().min(1).optional(),
  version: z.union([z.number().int(), z.string().min(1)]),
  commit: z.string().min(1),
  environment: z.string().min(1),
  /** Canary step (traffic %), when the verdict belongs to one. */
  step: z.number().optional(),
  /** What happened, e.g. ROLLED_BACK, PROMOTED, FAILED. */
  event: z.string().min(1),
  verdict: z.strictObject({
    outcome: z.enum(['PASS', 'FAIL', 'INCONCLUSIVE']),
    summary: z.string().optional(),
    /** The signal the message leads with (the failing one). */
    decisive: z.string().optional(),
    signals: z.array(NotificationSignalSchema).default([]),
  }),
  window: z.strictObject({ start: IsoTime, end: IsoTime }),
  chart: NotificationChartSchema.optional(),
  /** Links shown at the bottom (execution, dashboard). */
  links: z.array(z.strictObject({ text: z.string().min(1), url: z.url() })).default([]),
});

export type NotificationInput = z.input<typeof NotificationSchema>;
export type Notification = z.output<typeof NotificationSchema>;
export type NotificationSignal = z.output<typeof NotificationSignalSchema>;
export type NotificationChart = z.output<typeof NotificationChartSchema>;
export type MetricSeries = z.output<typeof MetricSeriesSchema>;

export function parseNotification(raw: unknown): Notification {
  const result = NotificationSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new NotificationInvalidError(`Invalid notification: ${problems.join('; ')}`, {
      cause: result.error,
    });
  }
  return result.data;
}

/** Each team has its channel; a notification may name another. No team, no silent default. */
export function channelFor(
  notification: Pick<Notification, 'team' | 'channel'>,
  teamChannels: Readonly<Record<string, string>>,
): string {
  const channel = notification.channel ?? teamChannels[notification.team];
  if (channel === undefined) {
    throw new NotificationRoutingError(
      `No Slack channel for team ${notification.team}: add it to the platform config's team channels`,
    );
  }
  return channel;
}

/** The failing (or decisive) signal the message leads with. */
export function decisiveSignal(notification: Notification): NotificationSignal | undefined {
  const { signals, decisive } = notification.verdict;
  return (
    signals.find((s) => s.signal === decisive) ??
    signals.find((s) => s.outcome === 'FAIL') ??
    signals.find((s) => s.outcome === 'INCONCLUSIVE')
  );
}
