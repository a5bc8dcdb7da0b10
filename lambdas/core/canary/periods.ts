/**
 * What the canary judge reads, on AWS and here alike: per slot, one entry per period with traffic, as
 * CloudWatch GetMetricData returns it for a slot's target group (ALB `RequestCount` Sum,
 * `HTTPCode_Target_5XX_Count` Sum, `TargetResponseTime` p50/p90/p99). A period with no traffic is
 * absent, as in CloudWatch. The local metric store (lambdas/core/target/slotEvidence.ts) buckets the
 * proxy's requests into the same shape.
 */
import { z } from 'zod';
import { CanarySamplesError } from './errors.ts';

export const LatencyPercentilesSchema = z.strictObject({
  p50: z.number(),
  p90: z.number(),
  p99: z.number(),
});

export const CanaryPeriodSchema = z.strictObject({
  /** Start of the period, ISO 8601 (CloudWatch's datapoint timestamp). */
  start: z.string(),
  requests: z.number(),
  /** Server errors (5xx) among the requests. */
  errors: z.number(),
  /** Latency percentiles of the period's requests, milliseconds. */
  latencyMs: LatencyPercentilesSchema,
});

export type CanaryPeriod = z.infer<typeof CanaryPeriodSchema>;
export type LatencyPercentile = keyof CanaryPeriod['latencyMs'];
export type CanarySlotName = 'baseline' | 'canary';

/** Where the series came from in CloudWatch (AWS only): what a chart of them asks GetMetricWidgetImage for. */
export interface CanarySeriesSource {
  readonly namespace: string;
  readonly periodSeconds: number;
  readonly dimensions: Readonly<
    Record<CanarySlotName, readonly { readonly Name: string; readonly Value: string }[]>
  >;
}

/** Both slots' series of one step's window. */
export interface CanarySeries {
  readonly baseline: readonly CanaryPeriod[];
  readonly canary: readonly CanaryPeriod[];
  readonly source?: CanarySeriesSource;
}

/** One period both slots served traffic in: the unit the paired tests compare. */
export interface PairedPeriod {
  readonly start: string;
  readonly at: number;
  readonly baseline: CanaryPeriod;
  readonly canary: CanaryPeriod;
}

export interface Pairing {
  readonly paired: readonly PairedPeriod[];
  /** Periods with traffic on one slot only (not compared: the other slot saw no request then). */
  readonly baselineOnly: number;
  readonly canaryOnly: number;
}

/**
 * Refuses what cannot be a CloudWatch datapoint, naming the slot, the period and the field: counts must
 * be whole and not negative, errors at most requests, latencies finite and not negative, starts valid
 * ISO times and unique per slot. Never lets Infinity or NaN reach a verdict.
 */
export function validateSeries(slot: CanarySlotName, periods: readonly CanaryPeriod[]): void {
  const seen = new Set<number>();
  periods.forEach((period, i) => {
    const where = `${slot}[${i}]`;
    const at = Date.parse(period.start);
    if (!Number.isFinite(at))
      throw new CanarySamplesError(`${where}.start: "${period.start}" is not an ISO time`);
    if (seen.has(at)) throw new CanarySamplesError(`${where}.start: period ${period.start} appears twice`);
    seen.add(at);
    for (const key of ['requests', 'errors'] as const) {
      const value = period[key];
      if (!(Number.isInteger(value) && value >= 0)) {
        throw new CanarySamplesError(`${where}.${key}: must be a whole number >= 0, got ${value}`);
      }
    }
    if (period.errors > period.requests) {
      throw new CanarySamplesError(
        `${where}.errors: ${period.errors} errors out of ${period.requests} requests (errors must be <= requests)`,
      );
    }
    for (const key of ['p50', 'p90', 'p99'] as const) {
      const value = period.latencyMs[key];
      if (!(Number.isFinite(value) && value >= 0)) {
        throw new CanarySamplesError(
          `${where}.latencyMs.${key}: must be a finite number >= 0 ms, got ${value}`,
        );
      }
    }
  });
}

/**
 * Pairs the slots' periods by start time: both slots in one period saw the same conditions (load,
 * dependencies, time of day), so a drift that hits both cancels in their ratio. A period with zero
 * requests on a slot is treated as absent (it has no latency).
 */
export function pairPeriods(series: CanarySeries): Pairing {
  const withTraffic = (periods: readonly CanaryPeriod[]) =>
    new Map(periods.filter((p) => p.requests > 0).map((p) => [Date.parse(p.start), p]));
  const baseline = withTraffic(series.baseline);
  const canary = withTraffic(series.canary);
  const paired: PairedPeriod[] = [];
  for (const [at, b] of baseline) {
    const c = canary.get(at);
    if (c !== undefined) paired.push({ start: new Date(at).toISOString(), at, baseline: b, canary: c });
  }
  paired.sort((x, y) => x.at - y.at);
  return {
    paired,
    baselineOnly: baseline.size - paired.length,
    canaryOnly: canary.size - paired.length,
  };
}

/** Type-7 quantile of a sorted list (numpy's default), as the local store computes per-period percentiles. */
function quantile(sorted: readonly number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  const b = sorted[Math.min(sorted.length - 1, lo + 1)] as number;
  return a + (h - lo) * (b - a);
}

/** One request as the local proxy saw it. */
export interface ObservedRequest {
  readonly at: number;
  readonly latencyMs: number;
  readonly failed: boolean;
}

/**
 * Buckets requests into periods aligned to multiples of `periodSeconds` since the epoch (as CloudWatch
 * aligns datapoints), keeping only periods with at least one request.
 */
export function periodsOf(requests: readonly ObservedRequest[], periodSeconds: number): CanaryPeriod[] {
  const periodMs = periodSeconds * 1000;
  const buckets = new Map<number, ObservedRequest[]>();
  for (const request of requests) {
    const start = Math.floor(request.at / periodMs) * periodMs;
    const bucket = buckets.get(start) ?? [];
    bucket.push(request);
    buckets.set(start, bucket);
  }
  return [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([start, bucket]) => {
      const latencies = bucket.map((r) => r.latencyMs).sort((a, b) => a - b);
      return {
        start: new Date(start).toISOString(),
        requests: bucket.length,
        errors: bucket.filter((r) => r.failed).length,
        latencyMs: {
          p50: quantile(latencies, 0.5),
          p90: quantile(latencies, 0.9),
          p99: quantile(latencies, 0.99),
        },
      };
    });
}
