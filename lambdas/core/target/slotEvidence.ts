/**
 * Turns the proxy's per-request reports into evidence: metric samples for the metric store (alarms,
 * dashboards) and, for the canary judge, each slot's per-period series in the shape CloudWatch gives
 * on AWS (requests, 5xx, latency p50/p90/p99 per period). Real traffic through the proxy is judged
 * the same way as bot traffic: a request failed when the service answered 5xx (or could not be
 * reached, 502); 4xx is the caller's mistake, not the release's.
 */
import { type CanarySeries, periodsOf } from '../canary/periods.ts';
import { METRIC, type MetricSample } from '../evidence/metrics.ts';
import type { Slot, SlotRequest, SlotRequestObserver } from './port.ts';

export function isServerFailure(status: number): boolean {
  return status >= 500;
}

/** The three samples one proxied request yields, with (service, environment, slot, version) dimensions. */
export function slotRequestMetricSamples(request: SlotRequest): MetricSample[] {
  const dimensions = {
    service: request.service,
    environment: request.environment,
    slot: request.slot,
    version: request.version,
  };
  return [
    { name: METRIC.requests, dimensions, value: 1, timestamp: request.at, unit: 'Count' },
    {
      name: METRIC.failures,
      dimensions,
      value: isServerFailure(request.status) ? 1 : 0,
      timestamp: request.at,
      unit: 'Count',
    },
    {
      name: METRIC.latency,
      dimensions,
      value: request.latencyMs,
      timestamp: request.at,
      unit: 'Milliseconds',
    },
  ];
}

interface Kept {
  readonly at: number;
  readonly latencyMs: number;
  readonly failed: boolean;
}

export interface SlotSampleRecorderOptions {
  /** Samples older than this (relative to the newest) are dropped. @default 3_600_000 (one hour) */
  readonly retainMs?: number;
  /**
   * The platform clock's time of a wall-clock instant, when that clock runs faster than the proxy's
   * (`npm start` runs 20x): periods are clock seconds and start at clock times, as windows and alarm
   * periods do. @default the wall clock itself
   */
  readonly clockOf?: (wallMs: number) => number;
}

/**
 * Keeps the latency and failure of every proxied request per environment and slot, so a judge step
 * can ask for the per-period series of exactly its window. Pass `recorder.observe` as the target's
 * `onRequest`.
 */
export class SlotSampleRecorder {
  private readonly kept = new Map<string, Kept[]>();
  private readonly retainMs: number;
  private readonly clockOf: (wallMs: number) => number;

  constructor(options: SlotSampleRecorderOptions = {}) {
    this.retainMs = options.retainMs ?? 3_600_000;
    this.clockOf = options.clockOf ?? ((wallMs) => wallMs);
  }

  readonly observe: SlotRequestObserver = (request) => {
    const key = `${request.environmentId}\u0000${request.slot}`;
    const list = this.kept.get(key) ?? [];
    list.push({ at: request.at, latencyMs: request.latencyMs, failed: isServerFailure(request.status) });
    // Arrivals are in time order, so the stale ones are at the front.
    const horizon = request.at - this.retainMs;
    let stale = 0;
    while (stale < list.length && (list[stale] as Kept).at < horizon) stale++;
    if (stale > 0) list.splice(0, stale);
    this.kept.set(key, list);
  };

  /**
   * Each slot's series for requests that arrived in [fromMs, toMs) (wall clock, as the proxy timed
   * them), in periods of `periodSeconds` on the platform's clock, aligned as CloudWatch aligns
   * datapoints; a period without requests is absent. The first
   * and last period may be partial: both slots' are, over the same stretch of time, so they still pair.
   */
  samples(environmentId: string, fromMs: number, toMs: number, periodSeconds: number): CanarySeries {
    const side = (slot: Slot) =>
      periodsOf(
        (this.kept.get(`${environmentId}\u0000${slot}`) ?? [])
          .filter((k) => k.at >= fromMs && k.at < toMs)
          .map((k) => ({ ...k, at: this.clockOf(k.at) })),
        periodSeconds,
      );
    return { baseline: side('baseline'), canary: side('canary') };
  }
}
