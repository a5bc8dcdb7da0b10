import type { z } from 'zod';
import { CanarySpecSchema } from '../canary/spec.ts';
import { AlarmsSpecSchema, BotsSpecSchema, VerificationSpecSchema } from '../evidence/spec.ts';
import type { JsonValue, RunConfig } from '../pipeline/contract.ts';
import { SpecError } from './errors.ts';
import { SPEC_FILE } from './names.ts';
import { composeServiceSchema } from './schema.ts';
import { parseYamlSource, validateYaml } from './yamlSource.ts';

/** The `.vouch.yml` schema: the pipe and service keys, plus the evidence and canary sections. */
export const ServiceSpecSchema = composeServiceSchema({
  bots: BotsSpecSchema.prefault({}),
  alarms: AlarmsSpecSchema.prefault({}),
  verification: VerificationSpecSchema.prefault({}),
  canary: CanarySpecSchema.prefault({}),
}).superRefine((spec, ctx) => {
  if (spec.pipe === 'ec2-canary' && !spec.environments.some((e) => e.ephemeral && e.name === 'test')) {
    ctx.addIssue({
      code: 'custom',
      path: ['environments'],
      message: 'the ec2-canary pipe proves each version in an ephemeral environment named "test" first',
    });
  }
});

export type ServiceSpec = z.output<typeof ServiceSpecSchema>;

export { SPEC_FILE };

/** Parses and validates `.vouch.yml` text; a SpecError lists every problem with its line and column. */
export function parseServiceSpec(text: string, file = SPEC_FILE): ServiceSpec {
  if (text.trim() === '') {
    throw new SpecError([
      {
        file,
        line: 1,
        col: 1,
        path: '',
        message: 'the file is empty; expected at least pipe, service, team and solution',
      },
    ]);
  }
  const source = parseYamlSource(text, file);
  if (source.data === null || typeof source.data !== 'object' || Array.isArray(source.data)) {
    throw new SpecError([
      { file, line: 1, col: 1, path: '', message: 'expected a mapping of keys (pipe: ..., service: ...)' },
    ]);
  }
  return validateYaml(source, ServiceSpecSchema);
}

/** The run's config: the spec as JSON, plus the environments the release stage iterates on. */
export function runConfig(spec: ServiceSpec): RunConfig {
  const json = JSON.parse(JSON.stringify(spec)) as Record<string, JsonValue>;
  return {
    ...json,
    releaseEnvironments: spec.environments.filter((e) => !e.ephemeral).map((e) => ({ ...e })),
  };
}
