/**
 * What tasks read of their input, parsed with the schema that owns it instead of cast: the run's
 * config sections (the service's validated `.vouch.yml` as JSON) with the spec's own schemas, and
 * earlier tasks' results (`run.out`) with the shape the task that wrote them returns. A value that
 * does not match fails the task with a ZodError naming the path, never a wrong type further on.
 */
import { z } from 'zod';
import { type CanarySpec, CanarySpecSchema } from '../canary/spec.ts';
import { RunSchema } from '../spec/schema.ts';
import type { Environment, ImageRef, RunSpec } from '../target/port.ts';
import type { JsonValue, RunState } from './contract.ts';

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
