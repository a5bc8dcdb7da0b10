import { z } from 'zod';
import { TASK_TYPES } from '../pipeline/contract.ts';
import { RunSchema } from '../target/runSpec.ts';
import { FLAVOURS } from './names.ts';

/**
 * The `.vouch.yml` a service repository holds, and the prefab pipe flavours shipped with Vouch.
 * Strict objects everywhere: an unknown key is almost always a typo, and a typo must not pass silently.
 */

const name = (what: string) =>
  z
    .string({ error: `expected a ${what} name (text)` })
    .regex(/^[a-z][a-z0-9-]{0,38}[a-z0-9]$/, `expected a ${what} name: 2-40 lowercase letters, digits or -`);

export { FLAVOURS, type FlavourName } from './names.ts';

export const EnvironmentSchema = z.strictObject({
  name: name('environment'),
  /** Created for the run and destroyed after it (test); otherwise updated in place (qa, prod). */
  ephemeral: z.boolean().default(false),
  /** Where bots reach the environment on AWS; on one machine the local target assigns a URL. */
  baseUrl: z.url({ error: 'expected an http(s) URL' }).optional(),
});
export type EnvironmentSpec = z.output<typeof EnvironmentSchema>;

const CommandSchema = z.strictObject({
  command: z.string().min(1, 'expected a shell command'),
  /** Seconds before the command is stopped and the task fails. */
  timeoutSeconds: z
    .number()
    .int()
    .positive()
    .max(8 * 3600)
    .default(900),
});

const DEFAULT_ENVIRONMENTS: EnvironmentSpec[] = [
  { name: 'test', ephemeral: true },
  { name: 'qa', ephemeral: false },
  { name: 'prod', ephemeral: false },
];

/** Schemas of sections owned by other domains are plugged in here (see composeServiceSchema). */
export interface SectionSchemas<
  B extends z.ZodType,
  A extends z.ZodType,
  V extends z.ZodType,
  C extends z.ZodType,
> {
  readonly bots: B;
  readonly alarms: A;
  readonly verification: V;
  readonly canary: C;
}

export function composeServiceSchema<
  B extends z.ZodType,
  A extends z.ZodType,
  V extends z.ZodType,
  C extends z.ZodType,
>(sections: SectionSchemas<B, A, V, C>) {
  return z
    .strictObject({
      pipe: z.enum(FLAVOURS, { error: `expected one of the shipped flavours: ${FLAVOURS.join(', ')}` }),
      service: name('service'),
      team: name('team'),
      solution: name('solution'),
      /** The branch whose pushes start the pipeline. */
      trunk: z.string().min(1).default('main'),
      /** Replace every task with a recorder: the pipe runs end to end and records its order. */
      mock: z.boolean().default(false),
      run: RunSchema.optional(),
      build: CommandSchema.optional(),
      test: CommandSchema.optional(),
      environments: z
        .array(EnvironmentSchema)
        .min(1, 'expected at least one environment')
        .default(DEFAULT_ENVIRONMENTS)
        .refine(
          (envs) => new Set(envs.map((e) => e.name)).size === envs.length,
          'environment names must be unique',
        ),
      bots: sections.bots,
      alarms: sections.alarms,
      verification: sections.verification,
      canary: sections.canary,
    })
    .superRefine((spec, ctx) => {
      if (spec.pipe !== 'ci' && !spec.environments.some((e) => !e.ephemeral)) {
        ctx.addIssue({
          code: 'custom',
          path: ['environments'],
          message: `the ${spec.pipe} pipe releases to at least one environment that is not ephemeral (qa, prod)`,
        });
      }
      if (spec.run === undefined) return;
      const lambda = spec.pipe === 'lambda-canary';
      const missing = lambda ? 'handler' : 'command';
      if (spec.run[missing] === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['run', missing],
          message: lambda
            ? 'required: a lambda-canary service names its handler, <file>.<export> (e.g. lambda.handler)'
            : 'required: how the service starts, e.g. "node server.mjs"',
        });
      }
      if (!lambda && spec.run.handler !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['run', 'handler'],
          message: `run.handler is for the lambda-canary pipe; a ${spec.pipe} service starts with run.command`,
        });
      }
    });
}

// ---- flavours -------------------------------------------------------------------------------

const taskName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,47}$/, 'expected a task name: lowercase letters, digits or -, up to 48');

export const JsonSchema: z.ZodType<unknown> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(JsonSchema),
    z.record(z.string(), JsonSchema),
  ]),
);

/** Composite task types expand to several states; every other type is one Task state. */
export const COMPOSITE_TASK_TYPES = ['canary'] as const;

export const TaskSpecSchema = z.strictObject({
  name: taskName,
  type: z.enum([...TASK_TYPES, ...COMPOSITE_TASK_TYPES], {
    error: `expected a task type: ${[...TASK_TYPES, ...COMPOSITE_TASK_TYPES].join(', ')}`,
  }),
  params: z.record(z.string(), JsonSchema).default({}),
});
export type TaskSpec = z.output<typeof TaskSpecSchema>;

export const StageSpecSchema = z.strictObject({
  stage: taskName,
  /** Run the stage's tasks at the same time (a Parallel state) instead of one after another. */
  parallel: z.boolean().default(false),
  /** Run the stage once per item of a list in the run's config (a Map state, one item at a time). */
  each: z.enum(['releaseEnvironments']).optional(),
  /**
   * With `each`: tasks run first in every iteration, outside the `onFailure` scope. What they take
   * (the deploy lock) decides whether the iteration may act at all, so their failure ends the
   * iteration without compensation: a run that did not get the lock must not roll anything back.
   */
  acquire: z.array(TaskSpecSchema).default([]),
  tasks: z.array(TaskSpecSchema).min(1, 'expected at least one task'),
  /** Tasks run, in order, when any task of this stage fails; then the failure goes on (compensation). */
  onFailure: z.array(TaskSpecSchema).default([]),
});
export type StageSpec = z.output<typeof StageSpecSchema>;

/** A stage, or `ref: <fragment>` to reuse stages shared by flavours. */
export const StageOrRefSchema = z.union([StageSpecSchema, z.strictObject({ ref: taskName })], {
  error: 'expected a stage ({stage, tasks}) or a fragment reference ({ref})',
});

export const FlavourSpecSchema = z.strictObject({
  description: z.string(),
  first: z.array(StageOrRefSchema).default([]),
  main: z.array(StageOrRefSchema).min(1, 'expected at least one stage in main'),
  last: z.array(StageOrRefSchema).default([]),
});

export const FragmentsSchema = z.record(taskName, z.array(StageSpecSchema).min(1));

/** A flavour with its `ref:`s resolved. */
export interface PipeSpec {
  readonly name: string;
  readonly description: string;
  readonly first: readonly StageSpec[];
  readonly main: readonly StageSpec[];
  readonly last: readonly StageSpec[];
}
