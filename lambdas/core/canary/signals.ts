/**
 * The golden signals a canary step is judged on, and how each one is read from the per-period series.
 *
 * - `errorRate` is a proportion (errors / requests, summed over the paired periods); its decay is
 *   absolute (percentage points as a fraction: 0.005 = +0.5 pp), because a relative threshold on a
 *   near-zero baseline is unstable.
 * - latency signals read one percentile per period (ms); their decay is relative to the baseline's
 *   (0.10 = the canary's p50 may be up to 10 % above the baseline's).
 */
import type { LatencyPercentile } from './periods.ts';

export const CANARY_SIGNALS = ['errorRate', 'latencyP50', 'latencyP90', 'latencyP99'] as const;
export type CanarySignal = (typeof CANARY_SIGNALS)[number];

export type SignalDefinition =
  | { readonly kind: 'proportion'; readonly statistic: 'rate'; readonly decay: 'absolute' }
  | { readonly kind: 'latency'; readonly statistic: LatencyPercentile; readonly decay: 'relative' };

export const SIGNAL_DEFINITIONS: Readonly<Record<CanarySignal, SignalDefinition>> = {
  errorRate: { kind: 'proportion', statistic: 'rate', decay: 'absolute' },
  latencyP50: { kind: 'latency', statistic: 'p50', decay: 'relative' },
  latencyP90: { kind: 'latency', statistic: 'p90', decay: 'relative' },
  latencyP99: { kind: 'latency', statistic: 'p99', decay: 'relative' },
};
