// Shared by the infra tests: the Vouch app from examples/platform.yml and the real compiler output,
// synthesised once per test file, with stub Lambda code (bundling has its own test).
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { compileFlavour, FLAVOURS } from '../../../lambdas/core/spec/index.ts';
import { buildVouchApp, type VouchStacks } from '../../../lib/app/index.ts';
import { requireCostTags } from '../../../lib/aspects/index.ts';
import { loadPlatformConfig, type PlatformConfig } from '../../../lib/config/index.ts';
import { PROJECT_ROOT } from '../../../lib/platform/index.ts';

export const EXAMPLE_CONFIG = join(PROJECT_ROOT, 'examples', 'platform.yml');

export interface SynthesisedVouch {
  readonly app: App;
  readonly config: PlatformConfig;
  readonly stacks: VouchStacks;
  readonly flavours: ReadonlyMap<string, object>;
  readonly platform: Template;
  readonly services: ReadonlyMap<string, Template>;
}

/**
 * `cloudFormationValidation`: CDK's built-in template validation (schemas, dependency cycles). Off for
 * the fine-grained tests, whose first synth it would slow by tens of seconds; on in the cdk-nag test.
 */
export function synthVouch(options: { cloudFormationValidation?: boolean } = {}): SynthesisedVouch {
  const app = new App({ builtinCloudFormationValidation: options.cloudFormationValidation ?? false });
  const config = loadPlatformConfig(EXAMPLE_CONFIG, FLAVOURS);
  const flavours = new Map<string, object>(FLAVOURS.map((name) => [name, compileFlavour(name)]));
  const stacks = buildVouchApp(app, { config, flavours, bundle: false });
  requireCostTags(app);
  const platform = Template.fromStack(stacks.platform);
  const services = new Map([...stacks.services].map(([name, stack]) => [name, Template.fromStack(stack)]));
  return { app, config, stacks, flavours, platform, services };
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** Resources of a type, by logical id. */
export function resourcesOf(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

/** A resource's Properties, `{}` when it has none. */
export function propsOf(
  resource: { Properties?: Record<string, unknown> } | undefined,
): Record<string, unknown> {
  return resource?.Properties ?? {};
}

/** Every IAM statement attached to a role (inline policies of AWS::IAM::Policy naming it). */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  const policies = resourcesOf(template, 'AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) => (propsOf(p).Roles as { Ref: string }[]).some((r) => r.Ref === roleLogicalId))
    .flatMap((p) => (propsOf(p).PolicyDocument as { Statement: Statement[] }).Statement);
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, unknown>;
}

export const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
