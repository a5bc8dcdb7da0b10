/**
 * The canary judge: compares the canary with the baseline on each configured golden signal for one
 * canary step, on what CloudWatch gives per slot (one datapoint per period: requests, errors, latency
 * percentiles), and returns a verdict that keeps every number it used.
 *
 * - Periods are paired by time: both slots saw the same conditions in one period, so a drift that hits
 *   both (load, a slow dependency, time of day) cancels in their ratio.
 * - Latency signals: a paired one-sided t-test of the per-period ln(canary / baseline) of the signal's
 *   percentile against ln(1 + allowed decay) (a non-inferiority test on the ratio scale). A canary
 *   right at the tolerated decay fails at most alpha of the time; a healthy one far less.
 * - Error rate: errors and requests summed over the paired periods, one-sided Farrington-Manning score
 *   test of p_canary - p_baseline > allowed (absolute) decay; with fewer than 5 expected errors, the
 *   exact Berger-Boos test instead (the normal approximation fails there); see statistics.ts.
 * - Holm's step-down across the step's signals keeps the family-wise false-failure rate at alpha.
 * - Power, not a fixed count, decides INCONCLUSIVE: each signal reports the smallest regression the
 *   test would have called significant (its critical effect, at alpha / m: the level a regression of
 *   this signal alone is tested at); a signal that is not significant and could only detect more than `maxDetectableRatio`
 *   times its allowed decay is INCONCLUSIVE, and says how many periods would be needed.
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
  holm,
  meanAndSd,
  normalQuantileUpper,
  proportionGreaterByMargin,
  proportionGreaterByMarginExact,
  studentTQuantileUpper,
  studentTUpperTail,
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
  /** The level Holm compared this p-value with. */
  readonly level: number;
  /** Smallest change (decay's unit) that, observed, would have been significant at alpha / m. */
  readonly detectable?: number;
  /** Above this detectable change, a non-significant signal is INCONCLUSIVE (maxDetectableRatio x allowed). */
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
  /** The spec's family-wise alpha, and how many signals it covers (Holm). */
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
    'outcome' | 'reason' | 'level' | 'detectable' | 'needed' | 'detectableLimit'
  >;
  /** Standard error and margin on the test's scale, to compute the detectable effect at a level. */
  readonly scale?: {
    readonly se: number;
    readonly margin: number;
    readonly df?: number;
    /** Test scale -> decay unit (exp(x) - 1 for log ratios). */
    readonly toDecay: (x: number) => number;
    readonly fromDecay: (x: number) => number;
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
  const { mean, sd } = meanAndSd(logRatios);
  const se = sd / Math.sqrt(k);
  const df = k - 1;
  // All ratios equal (no spread): the answer is certain either way; keep every number finite.
  const t = se > 0 ? (mean - margin) / se : undefined;
  const p = t === undefined ? (mean > margin ? 0 : 1) : studentTUpperTail(t, df);
  return {
    signal,
    allowed,
    unit: 'relative',
    base: {
      ...common,
      test: 'paired-t-log-ratio',
      effect: Math.expm1(mean),
      ...(t === undefined ? {} : { statisticValue: t }),
      df,
      p,
    },
    scale: { se, margin, df, toDecay: Math.expm1, fromDecay: Math.log1p },
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
    scale: { se, margin: allowed, toDecay: identity, fromDecay: identity },
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
  const levels = holm(
    tested.map((t) => t.base.p),
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
        detectableLimit,
        outcome: 'INCONCLUSIVE',
        reason: `${head} not tested: ${t.untestable ?? 'no data'} (periods of ${config.periodSeconds} s)`,
      };
    }
    // At alpha / m: the level a regression of this signal alone would be tested at (Holm's first step).
    const detectable = detectableAt(t.scale, config.alpha / tests);
    const observed =
      t.base.valueUnit === 'ms'
        ? `canary ${t.base.statistic} ${ms(t.base.canary.value)} vs baseline ${ms(t.base.baseline.value)}`
        : `canary ${rate(t.base.canary.value)} vs baseline ${rate(t.base.baseline.value)} errors`;
    const numbers = `${observed} (${fmtChange(t.base.effect ?? 0)}, allowed ${fmtChange(t.allowed)}, p=${(t.base.p ?? 1).toPrecision(3)} at level ${level.toPrecision(3)}, ${t.base.periods} periods of ${config.periodSeconds} s, detectable ${fmtChange(detectable)})`;
    if (rejected) {
      return {
        ...t.base,
        level,
        detectable,
        detectableLimit,
        outcome: 'FAIL',
        reason: `${head} ${numbers}: significantly worse than allowed`,
      };
    }
    if (!(detectable <= detectableLimit)) {
      // SE shrinks as 1/sqrt(periods): the periods that would bring the detectable change to the limit.
      const have = t.scale.fromDecay(detectable) - t.scale.margin;
      const want = t.scale.fromDecay(detectableLimit) - t.scale.margin;
      const periods = Math.max(config.minPeriods, Math.ceil(t.base.periods * (have / want) ** 2));
      const windowSeconds = Math.ceil(periods / Math.max(coverage, 1e-9)) * config.periodSeconds;
      return {
        ...t.base,
        level,
        detectable,
        detectableLimit,
        needed: { periods, windowSeconds },
        outcome: 'INCONCLUSIVE',
        reason: `${head} ${numbers}: too little data to tell (could only detect ${fmtChange(detectable)}, need at most ${fmtChange(detectableLimit)}); about ${periods} periods, a window of ${formatDuration(windowSeconds)} at this traffic, would do`,
      };
    }
    return {
      ...t.base,
      level,
      detectable,
      detectableLimit,
      outcome: 'PASS',
      reason: `${head} ${numbers}: within allowed decay`,
    };
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
