/**
 * What tasks read of their input, parsed with the schema that owns it instead of cast: the run's
 * config sections (the service's validated `.vouch.yml` as JSON) with the spec's own schemas, and
 * earlier tasks' results (`run.out`) with the shape the task that wrote them returns. A value that
 * does not match fails the task with a ZodError naming the path, never a wrong type further on.
 */
import { z } from 'zod';
import { type CanarySpec, CanarySpecSchema } from '../canary/spec.ts';
import type { Environment, ImageRef, RunSpec } from '../target/port.ts';
import { RunSchema } from '../target/runSpec.ts';
import { type JsonValue, type RunState, TASK_TYPES, type TaskInput } from './contract.ts';

/** The run's canary settings; absent in the config, the spec's defaults (as `.vouch.yml` parsing gives). */
export function canarySpecOf(run: Pick<RunState, 'config'>): CanarySpec {
  return CanarySpecSchema.parse(run.config.canary ?? {});
}

/** How the service starts (`run` in `.vouch.yml`), or undefined when the spec has none. */
export function runSpecOf(run: Pick<RunState, 'config'>): RunSpec | undefined {
  return RunSchema.optional().parse(run.config.run);
}

/** What `deploy` needs of the image `bake` returned: its id (the rest passes through as is). */
const ImageRefSchema = z.looseObject({ id: z.string().min(1) });

/** The image an earlier `bake` returned, or undefined when there is none (no bake ran, or no id). */
export function imageRefOf(result: JsonValue | undefined): ImageRef | undefined {
  const parsed = ImageRefSchema.safeParse(result);
  return parsed.success ? parsed.data : undefined;
}

/** An environment as `provision` returns it (contract of DeployTarget.provision), extra keys kept. */
const ProvisionedEnvironmentSchema = z.looseObject({
  id: z.string().min(1),
  service: z.string(),
  name: z.string(),
  ephemeral: z.boolean(),
  tags: z.object({ service: z.string(), team: z.string(), solution: z.string() }),
  proxyUrl: z.string(),
  createdAt: z.string(),
});

/** The environment with this id that an earlier task of the run provisioned, if one did. */
export function provisionedEnvironmentOf(
  out: Readonly<Record<string, JsonValue>>,
  id: string,
): Environment | undefined {
  for (const result of Object.values(out)) {
    const parsed = ProvisionedEnvironmentSchema.safeParse(result);
    if (parsed.success && parsed.data.id === id) return parsed.data;
  }
  return undefined;
}

const JsonRecord = z.record(z.string(), z.json());
const FailureSchema = z.object({ Error: z.string(), Cause: z.string() });

/**
 * The payload every Task state sends (contract.ts `TaskInput`), on AWS as the Lambda event and on one
 * machine as the local engine's handler input: parsed once at that boundary, so tasks get it typed.
 * Unknown keys pass through (the state machine may add some).
 */
export const TaskInputSchema = z.looseObject({
  task: z.looseObject({
    name: z.string().min(1),
    type: z.enum(TASK_TYPES),
    params: JsonRecord.default({}),
  }),
  run: z.looseObject({
    service: z.string().min(1),
    team: z.string(),
    solution: z.string(),
    repo: z.string(),
    commit: z.string().min(1),
    branch: z.string(),
    execution: z.string().min(1),
    pipe: z.string(),
    startRequest: z.string().optional(),
    hotfix: z.boolean().optional(),
    config: z.object({ releaseEnvironments: z.array(z.json()) }).catchall(z.json()),
    out: JsonRecord,
    error: FailureSchema.optional(),
  }),
  token: z.string().min(1).optional(),
  item: z.json().optional(),
  scope: JsonRecord.optional(),
  step: z
    .union([z.number(), z.object({ traffic: z.number(), windowSeconds: z.number().optional() })])
    .optional(),
  error: FailureSchema.optional(),
});

/** Parses a Task state's payload; the ZodError's issues name each missing or malformed field. */
export function safeParseTaskInput(raw: unknown): z.ZodSafeParseResult<TaskInput> {
  return TaskInputSchema.safeParse(raw);
}
