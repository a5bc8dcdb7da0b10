/**
 * The `canary` key of `.vouch.yml`: traffic steps, and how the judge decides each step.
 *
 * ```yaml
 * canary:
 *   steps: [1, 5, { traffic: 10, windowSeconds: 900 }, 25, 50, 100]
 *   windowSeconds: 300            # every step's window unless the step says otherwise
 *   decay:                        # the signals judged, and how much worse the canary may be
 *     errorRate: { absolute: 0.005 }   # canary error rate may be up to 0.5 percentage points higher
 *     latencyP50: { relative: 0.10 }   # canary p50 may be up to 10 % higher than the baseline's
 *     latencyP99: { relative: 0.20 }
 *   minSamples: { errorRate: 500, latencyP99: 500 }   # or one number for every signal
 *   minEffectSize: 0.03           # Cliff's delta (latency, saturation) / Cohen's h (errors)
 *   alpha: 0.05                   # family-wise, split across the tests of a step (Bonferroni)
 *   onInconclusive: extend        # extend | fail | pause
 *   maxExtensions: 1              # with `extend`: after this many extensions, fail
 * ```
 */
import { z } from 'zod';
import { CanarySpecError } from './errors.ts';
import { CANARY_SIGNALS, type CanarySignal, SIGNAL_DEFINITIONS } from './signals.ts';

export const DEFAULT_CANARY_STEPS = [1, 5, 10, 25, 50, 100] as const;

export const DEFAULT_DECAY: Readonly<Partial<Record<CanarySignal, AllowedDecay>>> = {
  errorRate: { absolute: 0.005 },
  latencyP50: { relative: 0.1 },
  latencyP99: { relative: 0.2 },
};

/** Below these counts a side's estimate is too noisy to act on: the signal is INCONCLUSIVE. */
export const DEFAULT_MIN_SAMPLES: Readonly<Record<CanarySignal, number>> = {
  errorRate: 500, // requests; at 1 % errors that is ~5 failures
  latencyP50: 100,
  latencyP90: 200,
  latencyP99: 500, // p99 needs ~5 points beyond it to be more than one sample's value
  saturation: 30,
};

export type AllowedDecay = { readonly absolute: number } | { readonly relative: number };

const StepSchema = z.union([
  z.number(),
  z.strictObject({
    traffic: z.number(),
    windowSeconds: z.number().int().positive().optional(),
  }),
]);

const DecayEntrySchema = z.union([
  z.strictObject({ absolute: z.number().min(0).max(1) }),
  z.strictObject({ relative: z.number().min(0) }),
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
    minSamples: z
      .union([z.number().int().positive(), z.partialRecord(SignalNameSchema, z.number().int().positive())])
      .default({}),
    minEffectSize: z.number().min(0).max(1).default(0.03),
    // Family-wise, and each test is against the decay margin (not against "no difference"), so a
    // healthy canary fails far less often than alpha; see judge.ts.
    alpha: z.number().gt(0).lt(0.5).default(0.05),
    onInconclusive: z.enum(['extend', 'fail', 'pause']).default('extend'),
    maxExtensions: z.number().int().min(0).max(10).default(1),
  })
  .superRefine((spec, ctx) => {
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
  .transform((spec) => {
    const minSamples = Object.fromEntries(
      CANARY_SIGNALS.map((s) => [
        s,
        typeof spec.minSamples === 'number'
          ? spec.minSamples
          : (spec.minSamples[s] ?? DEFAULT_MIN_SAMPLES[s]),
      ]),
    ) as Record<CanarySignal, number>;
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
      minSamples,
    };
  });

export type CanarySpecInput = z.input<typeof CanarySpecSchema>;
export type CanarySpec = z.output<typeof CanarySpecSchema>;
export type CanaryStep = CanarySpec['steps'][number];

/** The judge's part of a spec: everything except the traffic steps. */
export type CanaryJudgeConfig = Pick<
  CanarySpec,
  'decay' | 'minSamples' | 'minEffectSize' | 'alpha' | 'onInconclusive' | 'maxExtensions'
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
