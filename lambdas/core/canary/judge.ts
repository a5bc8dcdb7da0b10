/**
 * The canary judge: compares the canary with the baseline on each configured golden signal for one
 * canary step, and returns a verdict that keeps every number it used.
 *
 * A signal FAILs only when all three hold (the shape of Kayenta's NetflixACAJudge: a MWU classifier
 * plus an effect-size check against an allowed increase):
 *   1. the canary is significantly worse than the baseline *plus the allowed decay* (one-sided
 *      p < alpha / number of tests). Kayenta tests against "no difference" and checks the decay on
 *      the point estimate only; then a change right at the tolerated decay fails half the time and a
 *      healthy pair fails at ~alpha. Testing against the decay margin (a non-inferiority test) keeps
 *      false failures well under alpha and still catches regressions clearly beyond the decay.
 *      Latency/saturation: MWU of canary / (1 + relative decay) vs baseline (a scale shift).
 *      Error rate: one-sided z for p_canary - p_baseline > absolute decay (see errorMarginTest).
 *   2. the observed change of the signal's statistic (p50, p99, rate ...) exceeds the allowed decay,
 *   3. the standardized effect size (Cliff's delta or Cohen's h) is at least `minEffectSize`,
 * so noise cannot fail a step (1), a real but tolerated change cannot fail it (1, 2), and with
 * millions of requests a negligible shift in one percentile cannot either (3).
 * Too few samples on either side make a signal INCONCLUSIVE; the step then follows `onInconclusive`.
 */
import { CanarySamplesError } from './errors.ts';
import { CANARY_SIGNALS, type CanarySignal, SIGNAL_DEFINITIONS, type SignalDefinition } from './signals.ts';
import type { AllowedDecay, CanaryJudgeConfig } from './spec.ts';
import {
  type MannWhitneyResult,
  mannWhitneyGreater,
  mean,
  proportionGreaterByMargin,
  quantileSorted,
  sortedCopy,
} from './statistics.ts';

/** Requests and how many of them failed; or one 0/1 flag per request. */
export type ErrorSamples = { readonly requests: number; readonly failed: number } | readonly number[];

/** What one side (baseline or canary) served during the step's window. */
export interface CanarySideSamples {
  /** Latency of each request, ms. */
  readonly latencyMs?: readonly number[];
  readonly errors?: ErrorSamples;
  /** Saturation samples (e.g. CPU utilisation %), one per datapoint. */
  readonly saturation?: readonly number[];
}

export interface JudgeCanaryStepInput {
  readonly baseline: CanarySideSamples;
  readonly canary: CanarySideSamples;
  readonly config: CanaryJudgeConfig;
}

export type CanaryOutcome = 'PASS' | 'FAIL' | 'INCONCLUSIVE';

export interface SideStats {
  readonly samples: number;
  /** The signal's statistic (error rate, p50, p90, p99 or mean). */
  readonly value: number;
  readonly mean?: number;
  readonly p50?: number;
  readonly p99?: number;
  readonly failed?: number;
}

export interface SignalVerdict {
  readonly signal: CanarySignal;
  readonly statistic: SignalDefinition['statistic'];
  readonly test: 'mann-whitney-u' | 'two-proportion-z' | 'fisher-exact' | 'none';
  readonly baseline: SideStats;
  readonly canary: SideStats;
  readonly samples: { readonly baseline: number; readonly canary: number; readonly minimum: number };
  /**
   * Mann-Whitney U of the canary scaled down by the allowed decay, vs the baseline (continuous
   * signals): the test of "worse than the baseline by more than allowed".
   */
  readonly U?: number;
  readonly z?: number;
  /** One-sided p-value of that margin test; absent when there were too few samples to test. */
  readonly p?: number;
  /** The per-test significance level: the spec's alpha divided by the number of tests in the step. */
  readonly alpha: number;
  /** Observed change of the statistic, canary vs baseline, in the decay's unit. */
  readonly effect?: number;
  /** The allowed decay, same unit as `effect`. */
  readonly allowed: number;
  readonly unit: 'absolute' | 'relative';
  readonly effectSize?: {
    readonly measure: 'cliffsDelta' | 'cohensH';
    readonly value: number;
    readonly minimum: number;
  };
  readonly outcome: CanaryOutcome;
  /** One sentence a person can read in Slack. */
  readonly reason: string;
}

export interface CanaryVerdict {
  readonly outcome: CanaryOutcome;
  readonly signals: readonly SignalVerdict[];
  /** The spec's family-wise alpha, and how many tests it was split over. */
  readonly alpha: number;
  readonly tests: number;
  /** The first failing (else inconclusive) signal: the one a notification leads with. */
  readonly decisive?: CanarySignal;
}

function allowedOf(decay: AllowedDecay): { allowed: number; unit: 'absolute' | 'relative' } {
  return 'absolute' in decay
    ? { allowed: decay.absolute, unit: 'absolute' }
    : { allowed: decay.relative, unit: 'relative' };
}

function toCounts(errors: ErrorSamples | undefined, side: string): { requests: number; failed: number } {
  if (errors === undefined) return { requests: 0, failed: 0 };
  if (Array.isArray(errors)) {
    let failed = 0;
    for (const flag of errors as readonly number[]) {
      if (flag !== 0 && flag !== 1)
        throw new CanarySamplesError(`${side} errors: flags must be 0 or 1, got ${flag}`);
      failed += flag;
    }
    return { requests: errors.length, failed };
  }
  const counts = errors as { requests: number; failed: number };
  if (!(Number.isInteger(counts.requests) && Number.isInteger(counts.failed))) {
    throw new CanarySamplesError(`${side} errors: requests and failed must be integers`);
  }
  if (counts.requests < 0 || counts.failed < 0 || counts.failed > counts.requests) {
    throw new CanarySamplesError(
      `${side} errors: need 0 <= failed (${counts.failed}) <= requests (${counts.requests})`,
    );
  }
  return counts;
}

function sortedSamples(values: readonly number[] | undefined, label: string): Float64Array {
  const sorted = sortedCopy(values ?? []);
  if (sorted.length > 0 && !(Number.isFinite(sorted[0]) && Number.isFinite(sorted[sorted.length - 1]))) {
    throw new CanarySamplesError(`${label}: samples must be finite numbers`);
  }
  return sorted;
}

function statisticOf(sorted: Float64Array, statistic: SignalDefinition['statistic']): number {
  switch (statistic) {
    case 'p50':
      return quantileSorted(sorted, 0.5);
    case 'p90':
      return quantileSorted(sorted, 0.9);
    case 'p99':
      return quantileSorted(sorted, 0.99);
    default:
      return mean(sorted);
  }
}

function relativeChange(canary: number, baseline: number): number {
  if (baseline > 0) return canary / baseline - 1;
  return canary > 0 ? Number.POSITIVE_INFINITY : 0;
}

function fmt(x: number, unit: 'absolute' | 'relative'): string {
  return unit === 'relative' ? `${(x * 100).toFixed(1)} %` : `${(x * 100).toFixed(2)} pp`;
}

/** Judges one canary step. Pure: same samples and config, same verdict. */
export function judgeCanaryStep({ baseline, canary, config }: JudgeCanaryStepInput): CanaryVerdict {
  const judged = CANARY_SIGNALS.filter((s) => config.decay[s] !== undefined);
  // Each judged signal is one test (each has its own margin), so the family is the judged signals.
  const tests = Math.max(1, judged.length);
  const alpha = config.alpha / tests; // Bonferroni: family-wise false-failure rate <= config.alpha

  const sorted = {
    latencyMs: {
      canary: sortedSamples(canary.latencyMs, 'canary latencyMs'),
      baseline: sortedSamples(baseline.latencyMs, 'baseline latencyMs'),
    },
    saturation: {
      canary: sortedSamples(canary.saturation, 'canary saturation'),
      baseline: sortedSamples(baseline.saturation, 'baseline saturation'),
    },
  };
  const counts = {
    canary: toCounts(canary.errors, 'canary'),
    baseline: toCounts(baseline.errors, 'baseline'),
  };
  // The unshifted MWU of a source gives the effect size (Cliff's delta) shared by its signals.
  const effectCache = new Map<string, MannWhitneyResult>();

  const signals = judged.map((signal): SignalVerdict => {
    const def = SIGNAL_DEFINITIONS[signal];
    const { allowed, unit } = allowedOf(config.decay[signal] as AllowedDecay);
    const minimum = config.minSamples[signal];
    const common = { signal, statistic: def.statistic, alpha, allowed, unit };

    if (def.kind === 'proportion') {
      const b = counts.baseline;
      const c = counts.canary;
      const bRate = b.requests > 0 ? b.failed / b.requests : 0;
      const cRate = c.requests > 0 ? c.failed / c.requests : 0;
      const sides = {
        baseline: { samples: b.requests, value: bRate, failed: b.failed },
        canary: { samples: c.requests, value: cRate, failed: c.failed },
        samples: { baseline: b.requests, canary: c.requests, minimum },
      };
      if (b.requests < minimum || c.requests < minimum) {
        return {
          ...common,
          ...sides,
          test: 'none',
          outcome: 'INCONCLUSIVE',
          reason: `${signal}: too few requests (baseline ${b.requests}, canary ${c.requests}, need ${minimum} each)`,
        };
      }
      const proportion = proportionGreaterByMargin(c, b, allowed);
      const effect = cRate - bRate;
      const effectSize = {
        measure: 'cohensH' as const,
        value: proportion.cohensH,
        minimum: config.minEffectSize,
      };
      const fail = proportion.p < alpha && effect > allowed && proportion.cohensH >= config.minEffectSize;
      return {
        ...common,
        ...sides,
        test: proportion.test,
        ...(proportion.z === undefined ? {} : { z: proportion.z }),
        p: proportion.p,
        effect,
        effectSize,
        outcome: fail ? 'FAIL' : 'PASS',
        reason: `${signal}: canary ${(cRate * 100).toFixed(2)} % vs baseline ${(bRate * 100).toFixed(2)} % (${fmt(effect, unit)}, allowed ${fmt(allowed, unit)}), p=${proportion.p.toPrecision(3)}${fail ? '' : ' - within tolerance or not significant'}`,
      };
    }

    const source = def.source === 'saturation' ? sorted.saturation : sorted.latencyMs;
    const b = source.baseline;
    const c = source.canary;
    const describe = (s: Float64Array, value: number): SideStats => ({
      samples: s.length,
      value,
      mean: mean(s),
      p50: quantileSorted(s, 0.5),
      p99: quantileSorted(s, 0.99),
    });
    if (b.length < minimum || c.length < minimum) {
      return {
        ...common,
        baseline: { samples: b.length, value: b.length > 0 ? statisticOf(b, def.statistic) : 0 },
        canary: { samples: c.length, value: c.length > 0 ? statisticOf(c, def.statistic) : 0 },
        samples: { baseline: b.length, canary: c.length, minimum },
        test: 'none',
        outcome: 'INCONCLUSIVE',
        reason: `${signal}: too few samples (baseline ${b.length}, canary ${c.length}, need ${minimum} each)`,
      };
    }
    let unshifted = effectCache.get(def.source);
    if (unshifted === undefined) {
      unshifted = mannWhitneyGreater(c, b);
      effectCache.set(def.source, unshifted);
    }
    // H0: canary <= baseline * (1 + allowed). Scaling keeps the order, so the array stays sorted.
    const mwu =
      allowed > 0
        ? mannWhitneyGreater(
            c.map((x) => x / (1 + allowed)),
            b,
          )
        : unshifted;
    const bValue = statisticOf(b, def.statistic);
    const cValue = statisticOf(c, def.statistic);
    const effect = relativeChange(cValue, bValue);
    const fail = mwu.p < alpha && effect > allowed && unshifted.cliffsDelta >= config.minEffectSize;
    return {
      ...common,
      baseline: describe(b, bValue),
      canary: describe(c, cValue),
      samples: { baseline: b.length, canary: c.length, minimum },
      test: 'mann-whitney-u',
      U: mwu.U,
      z: mwu.z,
      p: mwu.p,
      effect,
      effectSize: { measure: 'cliffsDelta', value: unshifted.cliffsDelta, minimum: config.minEffectSize },
      outcome: fail ? 'FAIL' : 'PASS',
      reason: `${signal}: canary ${def.statistic} ${cValue.toFixed(1)} vs baseline ${bValue.toFixed(1)} (${fmt(effect, unit)}, allowed ${fmt(allowed, unit)}), p=${mwu.p.toPrecision(3)}${fail ? '' : ' - within tolerance or not significant'}`,
    };
  });

  const failing = signals.find((s) => s.outcome === 'FAIL');
  const inconclusive = signals.find((s) => s.outcome === 'INCONCLUSIVE');
  // A clear failure on one signal is evidence enough even when another lacks samples.
  const outcome: CanaryOutcome = failing ? 'FAIL' : inconclusive ? 'INCONCLUSIVE' : 'PASS';
  const decisive = (failing ?? inconclusive)?.signal;
  return { outcome, signals, alpha: config.alpha, tests, ...(decisive === undefined ? {} : { decisive }) };
}

export interface StaticThresholdVerdict {
  readonly outcome: 'PASS' | 'FAIL';
  readonly signals: readonly {
    signal: CanarySignal;
    effect: number;
    allowed: number;
    outcome: 'PASS' | 'FAIL';
  }[];
}

/**
 * The plain check many pipelines use, kept for comparison in the bench: the canary's point estimate
 * against the baseline's plus the same allowed decay, with no test, no minimum sample count and no
 * effect size. It reacts to noise as readily as to regressions.
 */
export function checkStaticThresholds({
  baseline,
  canary,
  config,
}: JudgeCanaryStepInput): StaticThresholdVerdict {
  const sortedBy = new Map<string, { b: Float64Array; c: Float64Array }>();
  const signals = CANARY_SIGNALS.filter((s) => config.decay[s] !== undefined).map((signal) => {
    const def = SIGNAL_DEFINITIONS[signal];
    const { allowed } = allowedOf(config.decay[signal] as AllowedDecay);
    let effect: number;
    if (def.kind === 'proportion') {
      const b = toCounts(baseline.errors, 'baseline');
      const c = toCounts(canary.errors, 'canary');
      effect = (c.requests > 0 ? c.failed / c.requests : 0) - (b.requests > 0 ? b.failed / b.requests : 0);
    } else {
      const key = def.source === 'saturation' ? 'saturation' : 'latencyMs';
      let sides = sortedBy.get(key);
      if (sides === undefined) {
        sides = { b: sortedCopy(baseline[key] ?? []), c: sortedCopy(canary[key] ?? []) };
        sortedBy.set(key, sides);
      }
      const { b, c } = sides;
      effect =
        b.length > 0 && c.length > 0
          ? relativeChange(statisticOf(c, def.statistic), statisticOf(b, def.statistic))
          : 0;
    }
    const outcome: 'PASS' | 'FAIL' = effect > allowed ? 'FAIL' : 'PASS';
    return { signal, effect, allowed, outcome };
  });
  return { outcome: signals.some((s) => s.outcome === 'FAIL') ? 'FAIL' : 'PASS', signals };
}
