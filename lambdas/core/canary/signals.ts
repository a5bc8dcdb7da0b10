/**
 * The golden signals a canary step is judged on, and how each one is read from the samples.
 *
 * - `errorRate` is a proportion (failed / requests); its decay is absolute (percentage points as a
 *   fraction: 0.005 = +0.5 pp), because a relative threshold on a near-zero baseline is unstable.
 * - latency signals are continuous (ms per request); their decay is relative to the baseline's
 *   value of the statistic (0.10 = the canary's p99 may be up to 10 % above the baseline's).
 * - `saturation` is continuous (e.g. CPU utilisation samples), judged on its mean, relative decay.
 */
export const CANARY_SIGNALS = ['errorRate', 'latencyP50', 'latencyP90', 'latencyP99', 'saturation'] as const;
export type CanarySignal = (typeof CANARY_SIGNALS)[number];

export type SignalKind = 'proportion' | 'continuous';

export interface SignalDefinition {
  readonly kind: SignalKind;
  /** Which samples of a side the signal reads. */
  readonly source: 'errors' | 'latencyMs' | 'saturation';
  /** The statistic whose change is compared with the allowed decay. */
  readonly statistic: 'rate' | 'p50' | 'p90' | 'p99' | 'mean';
  /** How the decay of this signal is expressed. */
  readonly decay: 'absolute' | 'relative';
}

export const SIGNAL_DEFINITIONS: Readonly<Record<CanarySignal, SignalDefinition>> = {
  errorRate: { kind: 'proportion', source: 'errors', statistic: 'rate', decay: 'absolute' },
  latencyP50: { kind: 'continuous', source: 'latencyMs', statistic: 'p50', decay: 'relative' },
  latencyP90: { kind: 'continuous', source: 'latencyMs', statistic: 'p90', decay: 'relative' },
  latencyP99: { kind: 'continuous', source: 'latencyMs', statistic: 'p99', decay: 'relative' },
  saturation: { kind: 'continuous', source: 'saturation', statistic: 'mean', decay: 'relative' },
};
