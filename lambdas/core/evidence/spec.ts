/**
 * The evidence sections of `.vouch.yml`: `bots`, `alarms` and `verification`. Strict objects, so a typo
 * in a key is an error rather than a silently ignored setting; every optional field has a default.
 */
import { z } from 'zod';

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
const TEMPLATE = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
/** Where a saved value comes from in a step's response: `status`, `headers.<name>`, `body`, `body.a.b`, `body.items.0.id`. */
const RESPONSE_PATH = /^(status|headers\.[A-Za-z0-9-]+|body(\.[A-Za-z0-9_-]+)*)$/;

const Slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes');

export const BotExpectSchema = z.strictObject({
  /** Accepted status codes. @default any 2xx */
  status: z.union([z.int().min(100).max(599), z.array(z.int().min(100).max(599)).min(1)]).optional(),
  /** Response body fields that must equal the given values, by dotted path (`items.0.id`). @default {} */
  body: z.record(z.string().min(1), z.json()).default({}),
  /** Latency budget of this step; a slower answer counts as a failure. @default 1000 */
  latencyMs: z.number().positive().default(1000),
});

export const BotStepSchema = z.strictObject({
  name: z.string().min(1).optional(),
  /** @default GET */
  method: z.enum(HTTP_METHODS).default('GET'),
  /** Path below the environment's base URL; may use `{{saved}}` values. */
  path: z.string().startsWith('/'),
  /** @default {} */
  headers: z.record(z.string().min(1), z.string()).default({}),
  /** JSON body; string leaves may use `{{saved}}` values. */
  body: z.json().optional(),
  /** @default { body: {}, latencyMs: 1000 } and any 2xx status */
  expect: BotExpectSchema.prefault({}),
  /** Values carried to later steps: `{ orderId: body.id }` makes `{{orderId}}` available. @default {} */
  save: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
      z.string().regex(RESPONSE_PATH, 'status, headers.<name> or body.<path>'),
    )
    .default({}),
});

export const BotScenarioSchema = z
  .strictObject({
    name: Slug,
    steps: z.array(BotStepSchema).min(1),
    /**
     * Runs per minute, by environment name; `default` applies to environments not listed. An environment
     * with no entry and no `default` runs no bots. @default { default: 1 }
     */
    rate: z.record(z.string().min(1), z.number().positive().max(600)).prefault({ default: 1 }),
  })
  .superRefine((scenario, ctx) => {
    // A `{{name}}` must be saved by an earlier step: a typo is caught when the spec is read, not at 3 am.
    const saved = new Set<string>();
    scenario.steps.forEach((step, index) => {
      const text = JSON.stringify([step.path, step.headers, step.body ?? null]);
      for (const match of text.matchAll(TEMPLATE)) {
        const name = match[1] ?? '';
        if (!saved.has(name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['steps', index],
            message: `{{${name}}} is not saved by an earlier step`,
          });
        }
      }
      for (const name of Object.keys(step.save)) saved.add(name);
    });
  });

export const BotsSpecSchema = z
  .strictObject({
    /** @default [] */
    scenarios: z.array(BotScenarioSchema).default([]),
  })
  .refine((bots) => new Set(bots.scenarios.map((s) => s.name)).size === bots.scenarios.length, {
    message: 'scenario names must be unique',
    path: ['scenarios'],
  });

export const TreatMissingDataSchema = z.enum(['missing', 'breaching', 'notBreaching', 'ignore']);

// "Valid values are 10, 20, 30, and any multiple of 60" (PutMetricAlarm, Period).
const PeriodSeconds = z
  .int()
  .positive()
  .refine(
    (s) => s === 10 || s === 20 || s === 30 || s % 60 === 0,
    'period must be 10, 20, 30 or a multiple of 60',
  );

interface EvaluationCounts {
  readonly datapointsToAlarm: number;
  readonly evaluationPeriods: number;
}

/** Evaluation settings shared by every alarm; `datapointsToAlarm <= evaluationPeriods` as CloudWatch requires. */
function alarmShape<T extends z.ZodRawShape>(
  shape: T,
  defaults: {
    evaluationPeriods: number;
    datapointsToAlarm: number;
    treatMissingData: z.infer<typeof TreatMissingDataSchema>;
  },
) {
  return z
    .strictObject({
      /** @default true */
      enabled: z.boolean().default(true),
      ...shape,
      /** @default 60 */
      periodSeconds: PeriodSeconds.default(60),
      evaluationPeriods: z.int().min(1).max(100).default(defaults.evaluationPeriods),
      datapointsToAlarm: z.int().min(1).max(100).default(defaults.datapointsToAlarm),
      treatMissingData: TreatMissingDataSchema.default(defaults.treatMissingData),
    })
    .refine((a) => (a as EvaluationCounts).datapointsToAlarm <= (a as EvaluationCounts).evaluationPeriods, {
      message: 'datapointsToAlarm must be <= evaluationPeriods',
      path: ['datapointsToAlarm'],
    });
}

export const PercentileSchema = z
  .string()
  .regex(/^p(100|[1-9]?[0-9](\.[0-9]{1,2})?)$/, 'a percentile like p50, p90, p99, p99.9');

export const AlarmsSpecSchema = z.strictObject({
  /** Failed requests / requests, percent, above `thresholdPercent`. */
  errorRate: alarmShape(
    { thresholdPercent: z.number().min(0).max(100).default(5) },
    { evaluationPeriods: 3, datapointsToAlarm: 2, treatMissingData: 'missing' },
  ).prefault({}),
  /** Latency percentile (ms) above `thresholdMs`. */
  latency: alarmShape(
    { percentile: PercentileSchema.default('p99'), thresholdMs: z.number().positive().default(1000) },
    { evaluationPeriods: 3, datapointsToAlarm: 2, treatMissingData: 'missing' },
  ).prefault({}),
  /** Requests per period below `minRequests`: no traffic is breaching, never green. */
  traffic: alarmShape(
    { minRequests: z.number().min(0).default(1) },
    { evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData: 'breaching' },
  ).prefault({}),
  /** Average of the `saturation` metric (percent) the target reports, above `thresholdPercent`. Off unless given. */
  saturation: alarmShape(
    { thresholdPercent: z.number().min(0).max(100).default(80) },
    { evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData: 'missing' },
  ).optional(),
});

export const VerificationSpecSchema = z.strictObject({
  /** How long a verification window lasts after a deploy. @default 600 */
  windowSeconds: z.int().min(10).max(86_400).default(600),
  /** Fewer bot requests than this in the window is a FAILED verdict ("no evidence"). @default 5 */
  minBotSamples: z.int().min(1).default(5),
  /** Alarm transitions in the first `graceSeconds` (data of the previous version) are not counted. @default 0 */
  graceSeconds: z.int().min(0).default(0),
});

export type BotExpect = z.infer<typeof BotExpectSchema>;
export type BotStep = z.infer<typeof BotStepSchema>;
export type BotScenario = z.infer<typeof BotScenarioSchema>;
export type BotsSpec = z.infer<typeof BotsSpecSchema>;
export type AlarmsSpec = z.infer<typeof AlarmsSpecSchema>;
export type VerificationSpec = z.infer<typeof VerificationSpecSchema>;
export type TreatMissingData = z.infer<typeof TreatMissingDataSchema>;

/** Runs per minute of a scenario in an environment; 0 when it does not run there. */
export function scenarioRate(scenario: BotScenario, environment: string): number {
  return scenario.rate[environment] ?? scenario.rate.default ?? 0;
}
