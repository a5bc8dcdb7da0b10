/**
 * The canary judge: compares the canary with the baseline on each configured golden signal for one
 * canary step, on what CloudWatch gives per slot (one datapoint per period: requests, errors, latency
 * percentiles), and returns a verdict that keeps every number it used.
 *
 * - Periods are paired by time: both slots saw the same conditions in one period, so a drift that hits
 *   both (load, a slow dependency, time of day) cancels in their ratio.
 * - Latency signals: a paired one-sided t-test of the per-period ln(canary / baseline) of the signal's
 *   percentile against ln(1 + allowed decay) (a non-inferiority test on the ratio scale). A canary
 *   right at the tolerated decay fails at most alpha of the time; a healthy one far less. Periods are
 *   weighted by their information: a sample percentile of n requests has a variance of about c / n, so
 *   a period's log ratio has one of about c (1 / n_baseline + 1 / n_canary), and the weights are its
 *   inverse (weighted least squares with the scale c estimated from the periods, t on k - 1 degrees of
 *   freedom; with equal traffic in every period it is the plain paired t). A period of 3 canary
 *   requests no longer counts as much as one of 300.
 * - Error rate: errors and requests summed over the paired periods, one-sided Farrington-Manning score
 *   test of p_canary - p_baseline > allowed (absolute) decay; with fewer than 5 expected errors, the
 *   exact Berger-Boos test instead (the normal approximation fails there); see statistics.ts.
 * - Weighted Holm across the step's signals keeps the family-wise false-failure rate at alpha for any
 *   dependence between them: each signal holds a share of alpha (its `weight`; by default latencyP50
 *   0.95, errorRate and latencyP90 0.025 each), so the primary signal is tested at nearly alpha
 *   (0.0475) while every other keeps a share of its own, and gets more once another is rejected.
 * - The data, not a fixed count, decide INCONCLUSIVE: a signal that is not significantly worse PASSes
 *   only when the upper (1 - share x alpha) confidence bound of its change is at most
 *   `maxDetectableRatio` times its allowed decay; else it is INCONCLUSIVE and says how many periods
 *   would settle it. This is the confidence-interval reading of a non-significant result (Hoenig &
 *   Heisey 2001, "The abuse of power"), where a power figure ignores what the data showed: a canary
 *   that looks faster than its baseline is bounded sooner than one that looks slower. Each signal
 *   still reports its detectable change (the critical effect at its share of alpha).
 */
import {
  type CanaryPeriod,
  type CanarySeries,
  type CanarySeriesSource,
  type LatencyPercentile,
  type PairedPeriod,
  pairPeriods,
  validateSeries,
} from './periods.ts';
import { CANARY_SIGNALS, type CanarySignal, SIGNAL_DEFINITIONS } from './signals.ts';
import type { AllowedDecay, CanaryJudgeConfig } from './spec.ts';
import {
  normalQuantileUpper,
  proportionDifferenceUpperBound,
  proportionGreaterByMargin,
  proportionGreaterByMarginExact,
  studentTQuantileUpper,
  studentTUpperTail,
  weightedHolm,
  weightedMeanTest,
} from './statistics.ts';

export type CanaryOutcome = 'PASS' | 'FAIL' | 'INCONCLUSIVE';

/**
 * The power at which the detectable effect is quoted: 0.5 makes it the critical effect, the smallest
 * change that, observed, would have been significant.
 */
export const DETECTION_POWER = 0.5;

/**
 * A percentile below this is taken as this (ms): under a timer's resolution a ratio measures the clock,
 * and a zero baseline would make the ratio infinite.
 */
export const LATENCY_FLOOR_MS = 0.1;

export interface JudgeCanaryStepInput extends CanarySeries {
  readonly config: CanaryJudgeConfig;
}

export type SignalTest =
  | 'weighted-paired-t-log-ratio'
  | 'paired-t-log-ratio'
  | 'farrington-manning'
  | 'two-proportion-z'
  | 'fisher-exact'
  | 'berger-boos-exact'
  | 'none';

export interface SideSummary {
  /** The signal's value: the median over the paired periods of the slot's percentile (ms), or the
   * error rate of the summed counts (a fraction). */
  readonly value: number;
  readonly requests: number;
  readonly errors: number;
}

export interface SignalVerdict {
  readonly signal: CanarySignal;
  readonly statistic: 'rate' | LatencyPercentile;
  /** `ms` for latency values, `ratio` for error rates (a fraction: 0.01 = 1 %). */
  readonly valueUnit: 'ms' | 'ratio';
  readonly test: SignalTest;
  readonly baseline: SideSummary;
  readonly canary: SideSummary;
  /** Periods compared (with traffic on both slots), and the period length. */
  readonly periods: number;
  /** Estimated change, canary vs baseline, in the decay's unit (relative: geometric mean ratio - 1). */
  readonly effect?: number;
  /** The allowed decay, same unit as `effect`. */
  readonly allowed: number;
  readonly unit: 'absolute' | 'relative';
  /** The test statistic (t or z) and the degrees of freedom of a t. */
  readonly statisticValue?: number;
  readonly df?: number;
  /** One-sided p-value of "worse than the baseline by more than allowed". */
  readonly p?: number;
  /** The level weighted Holm compared this p-value with. */
  readonly level: number;
  /** This signal's share of alpha before any other signal is rejected (its weight over all weights). */
  readonly alphaShare: number;
  /** Smallest change (decay's unit) that, observed, would have been significant at its share of alpha. */
  readonly detectable?: number;
  /** Upper confidence bound of the change (decay's unit) at the signal's share of alpha (`alphaShare` x alpha). */
  readonly upperBound?: number;
  /** A non-significant signal whose upper bound is above this is INCONCLUSIVE (maxDetectableRatio x allowed). */
  readonly detectableLimit: number;
  /** When INCONCLUSIVE for power: about how many paired periods (and seconds of window) would do. */
  readonly needed?: { readonly periods: number; readonly windowSeconds: number };
  readonly outcome: CanaryOutcome;
  /** One sentence a person can read in Slack, with units. */
  readonly reason: string;
}

export interface SlotSeriesPoint {
  readonly t: string;
  readonly v: number;
}

export interface CanaryVerdict {
  readonly outcome: CanaryOutcome;
  readonly signals: readonly SignalVerdict[];
  /** The spec's family-wise alpha, and how many signals it covers (weighted Holm). */
  readonly alpha: number;
  readonly tests: number;
  readonly periodSeconds: number;
  /** Periods with traffic on both slots (compared), on the baseline only, on the canary only. */
  readonly periods: { readonly paired: number; readonly baselineOnly: number; readonly canaryOnly: number };
  /** The first failing (else inconclusive) signal: the one a notification leads with. */
  readonly decisive?: CanarySignal;
  /** Both slots' per-period values of the decisive signal (ms, or error rate as a fraction): the chart. */
  readonly series?: {
    readonly signal: CanarySignal;
    readonly unit: 'ms' | 'ratio';
    readonly baseline: readonly SlotSeriesPoint[];
    readonly canary: readonly SlotSeriesPoint[];
    /** On AWS: the CloudWatch metrics the series were read from (for GetMetricWidgetImage). */
    readonly source?: CanarySeriesSource;
  };
}

function allowedOf(decay: AllowedDecay): { allowed: number; unit: 'absolute' | 'relative' } {
  return 'absolute' in decay
    ? { allowed: decay.absolute, unit: 'absolute' }
    : { allowed: decay.relative, unit: 'relative' };
}

const floorMs = (x: number) => Math.max(x, LATENCY_FLOOR_MS);

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = (sorted.length - 1) / 2;
  return ((sorted[Math.floor(mid)] as number) + (sorted[Math.ceil(mid)] as number)) / 2;
}

const percent = (x: number, digits = 1) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(digits)} %`;
const pp = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)} pp`;
const ms = (x: number) => `${x.toFixed(1)} ms`;
const rate = (x: number) => `${(x * 100).toFixed(2)} %`;

interface Tested {
  readonly signal: CanarySignal;
  readonly allowed: number;
  readonly unit: 'absolute' | 'relative';
  readonly base: Omit<
    SignalVerdict,
    'outcome' | 'reason' | 'level' | 'alphaShare' | 'detectable' | 'upperBound' | 'needed' | 'detectableLimit'
  >;
  /** Standard error and margin on the test's scale, to compute the detectable effect at a level. */
  readonly scale?: {
    readonly se: number;
    readonly margin: number;
    readonly df?: number;
    /** Test scale -> decay unit (exp(x) - 1 for log ratios). */
    readonly toDecay: (x: number) => number;
    readonly fromDecay: (x: number) => number;
    /** The observed change on the test's scale (mean log ratio, difference of rates). */
    readonly observed: number;
    /** Upper (1 - level) confidence bound of the change, decay's unit. */
    readonly upperBound: (level: number) => number;
  };
  readonly untestable?: string;
}

function testLatency(
  signal: CanarySignal,
  percentile: LatencyPercentile,
  paired: readonly PairedPeriod[],
  allowed: number,
  minPeriods: number,
  totals: { baseline: SideSummary; canary: SideSummary },
): Tested {
  const logRatios = paired.map((p) =>
    Math.log(floorMs(p.canary.latencyMs[percentile]) / floorMs(p.baseline.latencyMs[percentile])),
  );
  // Precision weights: the inverse of 1 / n_baseline + 1 / n_canary (periods with traffic on both slots).
  const weights = paired.map((p) => 1 / (1 / p.baseline.requests + 1 / p.canary.requests));
  const value = (slot: 'baseline' | 'canary') =>
    paired.length > 0 ? median(paired.map((p) => p[slot].latencyMs[percentile])) : 0;
  const common = {
    signal,
    statistic: percentile,
    valueUnit: 'ms' as const,
    baseline: { ...totals.baseline, value: value('baseline') },
    canary: { ...totals.canary, value: value('canary') },
    periods: paired.length,
    allowed,
    unit: 'relative' as const,
  };
  const k = paired.length;
  if (k < minPeriods) {
    return {
      signal,
      allowed,
      unit: 'relative',
      base: { ...common, test: 'none' },
      untestable: `${k} period${k === 1 ? '' : 's'} with traffic on both slots, need at least ${minPeriods}`,
    };
  }
  const margin = Math.log1p(allowed);
  const { mean, se, df } = weightedMeanTest(logRatios, weights);
  // All ratios equal (no spread): the answer is certain either way; keep every number finite.
  const t = se > 0 ? (mean - margin) / se : undefined;
  const p = t === undefined ? (mean > margin ? 0 : 1) : studentTUpperTail(t, df);
  return {
    signal,
    allowed,
    unit: 'relative',
    base: {
      ...common,
      test: 'weighted-paired-t-log-ratio',
      effect: Math.expm1(mean),
      ...(t === undefined ? {} : { statisticValue: t }),
      df,
      p,
    },
    scale: {
      se,
      margin,
      df,
      toDecay: Math.expm1,
      fromDecay: Math.log1p,
      observed: mean,
      upperBound: (level) => Math.expm1(mean + (se > 0 ? studentTQuantileUpper(level, df) * se : 0)),
    },
  };
}

function testErrorRate(
  paired: readonly PairedPeriod[],
  allowed: number,
  minPeriods: number,
  totals: { baseline: SideSummary; canary: SideSummary },
): Tested {
  const b = { requests: totals.baseline.requests, failed: totals.baseline.errors };
  const c = { requests: totals.canary.requests, failed: totals.canary.errors };
  const bRate = b.requests > 0 ? b.failed / b.requests : 0;
  const cRate = c.requests > 0 ? c.failed / c.requests : 0;
  const common = {
    signal: 'errorRate' as const,
    statistic: 'rate' as const,
    valueUnit: 'ratio' as const,
    baseline: { ...totals.baseline, value: bRate },
    canary: { ...totals.canary, value: cRate },
    periods: paired.length,
    allowed,
    unit: 'absolute' as const,
  };
  if (paired.length < minPeriods) {
    return {
      signal: 'errorRate',
      allowed,
      unit: 'absolute',
      base: { ...common, test: 'none' },
      untestable: `${paired.length} period${paired.length === 1 ? '' : 's'} with traffic on both slots, need at least ${minPeriods}`,
    };
  }
  // Few expected errors: the score test's normal approximation is anti-conservative, use the exact one.
  const pooled = (b.failed + c.failed) / (b.requests + c.requests);
  const small = Math.min(c.requests * (pooled + allowed), b.requests * pooled) < 5;
  const result: { test: SignalTest; p: number; z?: number } = small
    ? { test: 'berger-boos-exact', p: proportionGreaterByMarginExact(c, b, allowed) }
    : proportionGreaterByMargin(c, b, allowed);
  // The spread a regression of exactly the margin would show, from a never-zero baseline estimate
  // (+0.5 / +1: with no error seen, "none" is not known to be exactly 0).
  const pb = (b.failed + 0.5) / (b.requests + 1);
  const pc = Math.min(1, pb + allowed);
  const se = Math.sqrt((pc * (1 - pc)) / c.requests + (pb * (1 - pb)) / b.requests);
  const identity = (x: number) => x;
  return {
    signal: 'errorRate',
    allowed,
    unit: 'absolute',
    base: {
      ...common,
      test: result.test === 'two-proportion-z' && allowed > 0 ? 'farrington-manning' : result.test,
      effect: cRate - bRate,
      ...(result.z === undefined || !Number.isFinite(result.z) ? {} : { statisticValue: result.z }),
      p: result.p,
    },
    scale: {
      se,
      margin: allowed,
      toDecay: identity,
      fromDecay: identity,
      observed: cRate - bRate,
      upperBound: (level) => proportionDifferenceUpperBound(c, b, level),
    },
  };
}

/** The detectable change at `level`: margin + (q(level) + q(power)) * se on the test's scale. */
function detectableAt(scale: NonNullable<Tested['scale']>, level: number): number {
  const q =
    scale.df === undefined
      ? normalQuantileUpper(level) + normalQuantileUpper(1 - DETECTION_POWER)
      : studentTQuantileUpper(level, scale.df) + studentTQuantileUpper(1 - DETECTION_POWER, scale.df);
  return scale.toDecay(scale.margin + q * scale.se);
}

/**
 * About how many periods would settle an INCONCLUSIVE signal, from a standard error that shrinks as
 * 1 / sqrt(periods) with the observed change held: enough to bring the upper bound down to the limit
 * when the change seen is below the limit; when it is above, enough for the test at the margin to
 * reject it. Capped at 100,000 periods.
 */
function neededPeriods(
  scale: NonNullable<Tested['scale']>,
  periods: number,
  upperBound: number,
  detectable: number,
  limit: number,
): number {
  const limitOnScale = scale.fromDecay(limit);
  const spread = scale.fromDecay(upperBound) - scale.observed; // q(level) * se
  const ratio =
    scale.observed < limitOnScale
      ? spread / (limitOnScale - scale.observed)
      : (scale.fromDecay(detectable) - scale.margin) / Math.max(scale.observed - scale.margin, 1e-12);
  return Math.min(100_000, Math.ceil(periods * ratio ** 2));
}

/** Judges one canary step. Pure: same series and config, same verdict. */
export function judgeCanaryStep({ baseline, canary, source, config }: JudgeCanaryStepInput): CanaryVerdict {
  validateSeries('baseline', baseline);
  validateSeries('canary', canary);
  const pairing = pairPeriods({ baseline, canary });
  const { paired } = pairing;
  const sum = (slot: 'baseline' | 'canary', key: keyof Pick<CanaryPeriod, 'requests' | 'errors'>) =>
    paired.reduce((total, p) => total + p[slot][key], 0);
  const totals = {
    baseline: { value: 0, requests: sum('baseline', 'requests'), errors: sum('baseline', 'errors') },
    canary: { value: 0, requests: sum('canary', 'requests'), errors: sum('canary', 'errors') },
  };
  const judged = CANARY_SIGNALS.filter((s) => config.decay[s] !== undefined);
  const tested = judged.map((signal): Tested => {
    const def = SIGNAL_DEFINITIONS[signal];
    const { allowed } = allowedOf(config.decay[signal] as AllowedDecay);
    return def.kind === 'proportion'
      ? testErrorRate(paired, allowed, config.minPeriods, totals)
      : testLatency(signal, def.statistic, paired, allowed, config.minPeriods, totals);
  });
  const tests = Math.max(1, judged.length);
  const weights = judged.map((signal) => (config.decay[signal] as AllowedDecay).weight ?? 1);
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const firstLevels = weights.map((w) => (config.alpha * w) / totalWeight);
  const levels = weightedHolm(
    tested.map((t) => t.base.p),
    weights,
    config.alpha,
  );
  const coverage =
    pairing.paired.length / Math.max(1, pairing.paired.length + pairing.baselineOnly + pairing.canaryOnly);

  const signals = tested.map((t, i): SignalVerdict => {
    const { rejected, level } = levels[i] as { rejected: boolean; level: number };
    const detectableLimit = t.allowed * config.maxDetectableRatio;
    const fmtChange = t.unit === 'relative' ? percent : pp;
    const head = `${t.signal}:`;
    if (t.scale === undefined) {
      return {
        ...t.base,
        level,
        alphaShare: (weights[i] as number) / totalWeight,
        detectableLimit,
        outcome: 'INCONCLUSIVE',
        reason: `${head} not tested: ${t.untestable ?? 'no data'} (periods of ${config.periodSeconds} s)`,
      };
    }
    // At its first-step share of alpha: the level a regression of this signal alone is tested at.
    const firstLevel = firstLevels[i] as number;
    const alphaShare = (weights[i] as number) / totalWeight;
    const detectable = detectableAt(t.scale, firstLevel);
    const upperBound = t.scale.upperBound(firstLevel);
    const observed =
      t.base.valueUnit === 'ms'
        ? `canary ${t.base.statistic} ${ms(t.base.canary.value)} vs baseline ${ms(t.base.baseline.value)}`
        : `canary ${rate(t.base.canary.value)} vs baseline ${rate(t.base.baseline.value)} errors`;
    const numbers = `${observed} (${fmtChange(t.base.effect ?? 0)}, allowed ${fmtChange(t.allowed)}, p=${(t.base.p ?? 1).toPrecision(3)} at level ${level.toPrecision(3)}, ${t.base.periods} periods of ${config.periodSeconds} s, upper bound ${fmtChange(upperBound)}, detectable ${fmtChange(detectable)})`;
    const common = { ...t.base, level, alphaShare, detectable, upperBound, detectableLimit };
    if (rejected) {
      return { ...common, outcome: 'FAIL', reason: `${head} ${numbers}: significantly worse than allowed` };
    }
    if (!(upperBound <= detectableLimit)) {
      const periods = Math.max(
        config.minPeriods,
        neededPeriods(t.scale, t.base.periods, upperBound, detectable, detectableLimit),
      );
      const windowSeconds = Math.ceil(periods / Math.max(coverage, 1e-9)) * config.periodSeconds;
      return {
        ...common,
        needed: { periods, windowSeconds },
        outcome: 'INCONCLUSIVE',
        reason: `${head} ${numbers}: too little data to tell (not significantly worse than allowed, but the change could still be up to ${fmtChange(upperBound)}; a pass needs that bound at most ${fmtChange(detectableLimit)}); about ${periods} periods, a window of ${formatDuration(windowSeconds)} at this traffic, would do`,
      };
    }
    return { ...common, outcome: 'PASS', reason: `${head} ${numbers}: within allowed decay` };
  });

  const failing = signals.filter((s) => s.outcome === 'FAIL').sort((a, b) => (a.p ?? 1) - (b.p ?? 1))[0];
  const inconclusive = signals.find((s) => s.outcome === 'INCONCLUSIVE');
  // A clear failure on one signal is evidence enough even when another lacks data.
  const outcome: CanaryOutcome = failing ? 'FAIL' : inconclusive ? 'INCONCLUSIVE' : 'PASS';
  const decisive = (failing ?? inconclusive)?.signal;
  return {
    outcome,
    signals,
    alpha: config.alpha,
    tests,
    periodSeconds: config.periodSeconds,
    periods: { paired: paired.length, baselineOnly: pairing.baselineOnly, canaryOnly: pairing.canaryOnly },
    ...(decisive === undefined
      ? {}
      : { decisive, series: { ...seriesOf(decisive, { baseline, canary }), ...(source ? { source } : {}) } }),
  };
}

/** Each slot's per-period value of a signal (ms, or error rate as a fraction), every period with traffic. */
export function seriesOf(signal: CanarySignal, series: CanarySeries): NonNullable<CanaryVerdict['series']> {
  const def = SIGNAL_DEFINITIONS[signal];
  const points = (periods: readonly CanaryPeriod[]) =>
    periods
      .filter((p) => p.requests > 0)
      .map((p) => ({
        t: new Date(Date.parse(p.start)).toISOString(),
        v: def.kind === 'proportion' ? p.errors / p.requests : p.latencyMs[def.statistic],
      }))
      .sort((a, b) => Date.parse(a.t) - Date.parse(b.t));
  return {
    signal,
    unit: def.kind === 'proportion' ? 'ratio' : 'ms',
    baseline: points(series.baseline),
    canary: points(series.canary),
  };
}

export function formatDuration(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
