/**
 * Pure alarm evaluation with CloudWatch's semantics, shared by the local metric store and by tests that
 * check it against the documented behaviour. No clock, no I/O: datapoints in, state out.
 */
import { AlarmDefinitionError } from './errors.ts';
import type { TreatMissingData } from './spec.ts';

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export type ComparisonOperator =
  | 'GreaterThanThreshold'
  | 'GreaterThanOrEqualToThreshold'
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold';

export type Statistic = 'Sum' | 'Average' | 'SampleCount' | 'Minimum' | 'Maximum' | `p${string}`;

/** What an alarm evaluates, per period: one metric's statistic, or 100 * Sum(numerator) / Sum(denominator). */
export type AlarmMetric =
  | { readonly kind: 'metric'; readonly metricName: string; readonly statistic: Statistic }
  | { readonly kind: 'ratioPercent'; readonly numerator: string; readonly denominator: string };

export interface AlarmThresholds {
  readonly comparison: ComparisonOperator;
  readonly threshold: number;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: TreatMissingData;
  /** Percentile alarms only. @default 'evaluate' */
  readonly evaluateLowSampleCountPercentile?: 'evaluate' | 'ignore';
}

/** One period's value; `value` undefined = missing datapoint. */
export interface Datapoint {
  /** Epoch ms of the period's start. */
  readonly periodStart: number;
  readonly value?: number;
  /** Raw samples behind the value (for percentiles: the low-sample-count rule). */
  readonly samples: number;
}

export interface AlarmEvaluation {
  readonly state: AlarmState;
  readonly breaching: number;
  readonly missing: number;
  readonly reason: string;
}

/** Checks what PutMetricAlarm would refuse. */
export function assertValidThresholds(t: AlarmThresholds): void {
  // "DatapointsToAlarm ... must be less than or equal to EvaluationPeriods" (PutMetricAlarm).
  if (t.datapointsToAlarm < 1 || t.datapointsToAlarm > t.evaluationPeriods) {
    throw new AlarmDefinitionError(
      `datapointsToAlarm (${t.datapointsToAlarm}) must be between 1 and evaluationPeriods (${t.evaluationPeriods})`,
    );
  }
}

/** Nearest-rank percentile of raw samples; `p` in [0, 100]. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  // Percentiles are computed over the raw values of the period ("Percentiles", CloudWatch statistics definitions).
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

export function parsePercentile(statistic: string): number | undefined {
  const match = /^p(\d+(?:\.\d+)?)$/.exec(statistic);
  if (match === null) return undefined;
  const p = Number(match[1]);
  return p >= 0 && p <= 100 ? p : undefined;
}

/** A statistic over one period's raw samples; undefined when the period has none (missing datapoint). */
export function computeStatistic(values: readonly number[], statistic: Statistic): number | undefined {
  // "SampleCount is the number of data points" / "Sum" / "Average" / "Minimum" / "Maximum" (CloudWatch statistics definitions).
  if (values.length === 0) return undefined;
  switch (statistic) {
    case 'SampleCount':
      return values.length;
    case 'Sum':
      return values.reduce((a, b) => a + b, 0);
    case 'Average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'Minimum':
      return Math.min(...values);
    case 'Maximum':
      return Math.max(...values);
    default: {
      const p = parsePercentile(statistic);
      if (p === undefined) throw new AlarmDefinitionError(`unknown statistic ${statistic}`);
      return percentile(values, p);
    }
  }
}

/**
 * Samples a percentile needs to be statistically significant: 10/(1-p) for p >= 0.5, 10/p below
 * ("Percentile-based alarms and low data samples").
 */
export function minSamplesForPercentile(p: number): number {
  const q = p / 100;
  if (q >= 1 || q <= 0) return 1;
  // Rounded before ceil: 10 / (1 - 0.9) is 100.00000000000001 in floating point.
  return Math.ceil(Math.round((q >= 0.5 ? 10 / (1 - q) : 10 / q) * 1e6) / 1e6);
}

export function isBreaching(value: number, comparison: ComparisonOperator, threshold: number): boolean {
  switch (comparison) {
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
  }
}

/**
 * Evaluates the last `evaluationPeriods` datapoints (oldest first) into an alarm state.
 *
 * Simplification: CloudWatch may look back beyond the evaluation range for data when treating missing
 * data as `missing`; we evaluate the N periods of the range only, which is what its documented table shows.
 */
export function evaluateAlarm(
  t: AlarmThresholds & { readonly statistic?: Statistic },
  datapoints: readonly Datapoint[],
  currentState: AlarmState,
): AlarmEvaluation {
  assertValidThresholds(t);
  if (datapoints.length !== t.evaluationPeriods) {
    throw new AlarmDefinitionError(`expected ${t.evaluationPeriods} datapoints, got ${datapoints.length}`);
  }
  const m = t.datapointsToAlarm;
  const n = t.evaluationPeriods;
  const p = t.statistic === undefined ? undefined : parsePercentile(t.statistic);
  if (p !== undefined && t.evaluateLowSampleCountPercentile === 'ignore') {
    // "ignore: the alarm state does not change during periods with too few data samples" (Percentile-based alarms and low data samples).
    const lowSamples = datapoints.some(
      (d) => d.value !== undefined && d.samples < minSamplesForPercentile(p),
    );
    if (lowSamples) {
      return {
        state: currentState,
        breaching: 0,
        missing: 0,
        reason: `too few samples for ${t.statistic}, state kept`,
      };
    }
  }
  const present = datapoints.filter((d) => d.value !== undefined);
  const breachingPresent = present.filter((d) => isBreaching(d.value ?? 0, t.comparison, t.threshold)).length;
  const missing = n - present.length;
  const verdict = (state: AlarmState, breaching: number, reason: string): AlarmEvaluation => ({
    state,
    breaching,
    missing,
    reason,
  });
  // "An alarm goes to ALARM when M out of the last N datapoints are breaching" (Evaluating an alarm: Datapoints to Alarm).
  const mOfN = (breaching: number) =>
    breaching >= m
      ? verdict('ALARM', breaching, `${breaching} of ${n} datapoints breaching (needs ${m})`)
      : verdict('OK', breaching, `${breaching} of ${n} datapoints breaching (needs ${m})`);

  switch (t.treatMissingData) {
    case 'breaching':
      // "breaching: missing data points are treated as bad and breaching the threshold" (Configuring how CloudWatch alarms treat missing data).
      return mOfN(breachingPresent + missing);
    case 'notBreaching':
      // "notBreaching: missing data points are treated as good and within the threshold" (Configuring how CloudWatch alarms treat missing data).
      return mOfN(breachingPresent);
    case 'ignore': {
      // "ignore: the current alarm state is maintained" (Configuring how CloudWatch alarms treat missing data).
      if (breachingPresent >= m) return mOfN(breachingPresent);
      // Missing points could not make M breaching either way: the data present decides OK (documented table, IGNORE column).
      if (breachingPresent + missing < m) return mOfN(breachingPresent);
      return verdict(currentState, breachingPresent, `${missing} missing datapoints, state kept`);
    }
    case 'missing': {
      // "missing: if all data points in the evaluation range are missing, the alarm transitions to INSUFFICIENT_DATA" (Configuring how CloudWatch alarms treat missing data).
      if (present.length === 0) return verdict('INSUFFICIENT_DATA', 0, `all ${n} datapoints missing`);
      // "If fewer datapoints than Datapoints to Alarm exist, the alarm evaluates the ones that exist" (How alarm state is evaluated when data is missing).
      const needed = Math.min(m, present.length);
      return breachingPresent >= needed
        ? verdict(
            'ALARM',
            breachingPresent,
            `${breachingPresent} of ${present.length} present datapoints breaching`,
          )
        : verdict(
            'OK',
            breachingPresent,
            `${breachingPresent} of ${present.length} present datapoints breaching`,
          );
    }
  }
}

/** Values of the datapoints that breach (for verdicts: "observed 40 % > 5 %"). */
export function breachingValues(
  t: Pick<AlarmThresholds, 'comparison' | 'threshold'>,
  points: readonly Datapoint[],
): number[] {
  return points.flatMap((p) =>
    p.value !== undefined && isBreaching(p.value, t.comparison, t.threshold) ? [p.value] : [],
  );
}
