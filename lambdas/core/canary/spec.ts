/**
 * The `canary` key of `.vouch.yml`: traffic steps, and how the judge decides each step.
 *
 * ```yaml
 * canary:
 *   steps: [1, 5, { traffic: 10, windowSeconds: 900 }, 25, 50, 100]
 *   windowSeconds: 300            # every step's window unless the step says otherwise
 *   periodSeconds: 60             # one datapoint per slot per period (CloudWatch's ALB metrics: 60)
 *   decay:                        # the signals judged, how much worse the canary may be, share of alpha
 *     errorRate: { absolute: 0.005, weight: 1 }  # error rate may be up to 0.5 percentage points higher
 *     latencyP50: { relative: 0.10, weight: 8 }  # p50 may be up to 10 % higher than the baseline's
 *     latencyP90: { relative: 0.20, weight: 1 }
 *   alpha: 0.05                   # family-wise, across the step's signals (weighted Holm)
 *   maxDetectableRatio: 2         # a pass needs the change's upper confidence bound <= 2x the allowed decay
 *   minPeriods: 3                 # fewer periods with traffic on both slots: INCONCLUSIVE
 *   onInconclusive: extend        # extend | fail | pause
 *   maxExtensions: 1              # with `extend`: after this many extensions, fail
 * ```
 */
import { z } from 'zod';
import { CanarySpecError } from './errors.ts';
import { CANARY_SIGNALS, type CanarySignal, SIGNAL_DEFINITIONS } from './signals.ts';

export const DEFAULT_CANARY_STEPS = [1, 5, 10, 25, 50, 100] as const;

/**
 * The defaults, for a 10-minute window at tens of requests per second:
 * - latencyP50 is the primary signal and holds 95 % of alpha: tested alone it is held to 0.0475, next
 *   to what a single paired test at 0.05 would do (the request weights of the periods win that back);
 * - errorRate and latencyP90 keep 2.5 % of alpha each (0.00125) whatever the other signals show, and get
 *   more once another signal is rejected (weighted Holm, statistics.ts): enough for gross regressions;
 * - latencyP90 rather than latencyP99 watches the tail: with slow outliers at about 1 % of requests, the
 *   per-period p99 sits on the edge between them and the rest and jumps from minute to minute, so +20 %
 *   on it stays unbounded in most 10-minute windows even at 100 rps (README, Benchmarks). Add
 *   latencyP99 where periods hold thousands of requests.
 */
export const DEFAULT_DECAY: Readonly<Partial<Record<CanarySignal, AllowedDecay>>> = {
  errorRate: { absolute: 0.005, weight: 0.025 },
  latencyP50: { relative: 0.1, weight: 0.95 },
  latencyP90: { relative: 0.2, weight: 0.025 },
};

/** Keys earlier versions accepted, and what replaced them: refused with this message, never ignored. */
const REPLACED_KEYS: Readonly<Record<string, string>> = {
  minSamples:
    'minSamples was replaced: the judge now decides INCONCLUSIVE by how tightly the paired periods bound each signal (maxDetectableRatio, minPeriods, periodSeconds); remove it',
  minEffectSize:
    'minEffectSize was replaced: each signal is tested against its allowed decay, so a negligible shift cannot fail a step; remove it',
};

/** How much worse the canary may be on one signal, and the signal's share of alpha (`weight`, default 1). */
export type AllowedDecay = ({ readonly absolute: number } | { readonly relative: number }) & {
  readonly weight?: number;
};

const StepSchema = z.union([
  z.number(),
  z.strictObject({
    traffic: z.number(),
    windowSeconds: z.number().int().positive().optional(),
  }),
]);

// weight: the signal's share of alpha, relative to the other judged signals' (weighted Holm).
const WeightSchema = z.number().positive().max(1000).optional();
const DecayEntrySchema = z.union([
  z.strictObject({ absolute: z.number().min(0).max(1), weight: WeightSchema }),
  z.strictObject({ relative: z.number().min(0), weight: WeightSchema }),
]);

const SignalNameSchema = z.enum(CANARY_SIGNALS);

export const CanarySpecSchema = z
  .strictObject({
    steps: z
      .array(StepSchema)
      .min(1)
      .default([...DEFAULT_CANARY_STEPS]),
    windowSeconds: z.number().int().positive().optional(),
    decay: z.partialRecord(SignalNameSchema, DecayEntrySchema).default({ ...DEFAULT_DECAY }),
    // CloudWatch publishes ALB metrics per 60 s; on AWS a shorter period is rounded up to 60.
    periodSeconds: z.number().int().min(1).max(3600).default(60),
    // Family-wise across the signals (weighted Holm), and each test is against the decay margin (not
    // against "no difference"), so a healthy canary fails far less often than alpha; see judge.ts.
    alpha: z.number().gt(0).lt(0.5).default(0.05),
    maxDetectableRatio: z.number().gt(1).default(2),
    minPeriods: z.number().int().min(2).default(3),
    minSamples: z.unknown().optional(),
    minEffectSize: z.unknown().optional(),
    onInconclusive: z.enum(['extend', 'fail', 'pause']).default('extend'),
    maxExtensions: z.number().int().min(0).max(10).default(1),
  })
  .superRefine((spec, ctx) => {
    for (const [key, message] of Object.entries(REPLACED_KEYS)) {
      if (spec[key as keyof typeof spec] !== undefined)
        ctx.addIssue({ code: 'custom', path: [key], message });
    }
    const traffic = spec.steps.map((s) => (typeof s === 'number' ? s : s.traffic));
    traffic.forEach((t, i) => {
      if (!(t > 0 && t <= 100)) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i],
          message: `step ${t} must be a traffic % in (0, 100]`,
        });
      }
      const previous = traffic[i - 1];
      if (previous !== undefined && t <= previous) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i],
          message: `steps must be strictly increasing: ${t} follows ${previous}`,
        });
      }
    });
    if (traffic.at(-1) !== 100) {
      ctx.addIssue({ code: 'custom', path: ['steps'], message: 'the last step must be 100 (all traffic)' });
    }
    const judged = Object.entries(spec.decay);
    if (judged.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['decay'],
        message: 'decay must name at least one signal to judge',
      });
    }
    // Weights are shares of alpha relative to each other: one signal without a weight would have no
    // meaningful share, so it is all or none (none: equal shares, plain Holm).
    const weighted = judged.filter(([, entry]) => entry?.weight !== undefined).map(([signal]) => signal);
    if (weighted.length > 0 && weighted.length < judged.length) {
      const missing = judged.map(([signal]) => signal).filter((s) => !weighted.includes(s));
      ctx.addIssue({
        code: 'custom',
        path: ['decay', missing[0] as string, 'weight'],
        message: `give every judged signal a weight, or none (equal shares of alpha): ${missing.join(', ')} ${missing.length === 1 ? 'has' : 'have'} none`,
      });
    }
    for (const [signal, entry] of judged) {
      // The unit is the signal's, not the author's choice: a relative error-rate decay on a 0 % baseline
      // would allow nothing, an absolute latency decay would depend on the service's speed.
      const unit = SIGNAL_DEFINITIONS[signal as CanarySignal].decay;
      if (entry !== undefined && !(unit in entry)) {
        ctx.addIssue({
          code: 'custom',
          path: ['decay', signal],
          message: `decay of ${signal} is ${unit}: write { ${unit}: <number> }`,
        });
      }
    }
  })
  .transform(({ minSamples: _minSamples, minEffectSize: _minEffectSize, ...spec }) => {
    return {
      ...spec,
      steps: spec.steps.map((s) => {
        const step = typeof s === 'number' ? { traffic: s } : s;
        const windowSeconds = step.windowSeconds ?? spec.windowSeconds;
        return windowSeconds === undefined
          ? { traffic: step.traffic }
          : { traffic: step.traffic, windowSeconds };
      }),
      decay: spec.decay as Partial<Record<CanarySignal, AllowedDecay>>,
    };
  });

export type CanarySpecInput = z.input<typeof CanarySpecSchema>;
export type CanarySpec = z.output<typeof CanarySpecSchema>;
export type CanaryStep = CanarySpec['steps'][number];

/** The judge's part of a spec: everything except the traffic steps. */
export type CanaryJudgeConfig = Pick<
  CanarySpec,
  | 'decay'
  | 'periodSeconds'
  | 'alpha'
  | 'maxDetectableRatio'
  | 'minPeriods'
  | 'onInconclusive'
  | 'maxExtensions'
>;

/** Parses the `canary` key (absent -> all defaults); refuses with a message that says what to fix. */
export function parseCanarySpec(raw: unknown): CanarySpec {
  const result = CanarySpecSchema.safeParse(raw ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((i) => `canary.${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new CanarySpecError(`Invalid canary spec: ${problems.join('; ')}`, { cause: result.error });
  }
  return result.data;
}
