import { AspectPriority, Aspects, CfnResource, type IAspect, TagManager, Tags } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { type ResourceTags, TAG_KEYS } from '../../lambdas/core/shared/tags.ts';

/**
 * Tags of the platform's own shared resources (the delivery engine: state machines, the build data
 * table, the webhook, the cost collector). Convention: `service: vouch`, `team: platform`,
 * `solution: vouch`, so the platform's running cost shows as the platform team's service `vouch`,
 * next to the services it delivers.
 */
export const PLATFORM_TAGS: ResourceTags = { service: 'vouch', team: 'platform', solution: 'vouch' };

export interface RequiredTagsAspectProps {
  /**
   * Tag keys every taggable resource must carry, each with a non-empty value.
   * @default TAG_KEYS (`service`, `team`, `solution`)
   */
  readonly requiredKeys?: readonly string[];
}

/**
 * Refuses synthesis of any taggable CloudFormation resource that lacks one of the cost allocation
 * tags, naming its construct path. It reads the resource's TagManager, i.e. the tags as they will be
 * rendered: tags given in props and tags applied by `Tags.of(scope).add()`, which are themselves
 * aspects; so add this aspect with `requireCostTags()` (priority READONLY), which runs it after every
 * mutating aspect.
 *
 * It registers a validation on the resource rather than only an error annotation: `app.synth()`
 * then throws (`Validation failed with the following errors: [path] ...`), so `cdk synth`,
 * `cdk deploy` and every test that synthesizes fail, and `--ignore-errors` cannot wave it through.
 *
 * Not checked: resources CloudFormation cannot tag, and `new CfnResource(..., { type })` with a
 * literal type name, which CDK does not make taggable.
 */
export class RequiredTagsAspect implements IAspect {
  private readonly requiredKeys: readonly string[];

  constructor(props: RequiredTagsAspectProps = {}) {
    this.requiredKeys = props.requiredKeys ?? TAG_KEYS;
  }

  visit(node: IConstruct): void {
    if (!CfnResource.isCfnResource(node)) return;
    const tags = TagManager.of(node);
    if (tags === undefined) return;
    const values = tags.tagValues();
    const missing = this.requiredKeys.filter((key) => (values[key] ?? '').trim() === '');
    if (missing.length === 0) return;
    const message =
      `${node.node.path} (${node.cfnResourceType}) has no ${missing.join(', ')} tag: every resource needs ` +
      `${this.requiredKeys.join(', ')} so its cost is attributed. Apply them with applyCostTags(scope, tags) ` +
      `(platform resources: PLATFORM_TAGS).`;
    node.node.addValidation({ validate: () => [message] });
  }
}

/** Adds the aspect to `scope` (usually the app) after every tag-applying aspect. */
export function requireCostTags(scope: IConstruct, props: RequiredTagsAspectProps = {}): RequiredTagsAspect {
  const aspect = new RequiredTagsAspect(props);
  Aspects.of(scope).add(aspect, { priority: AspectPriority.READONLY });
  return aspect;
}

/** Tags every taggable resource under `scope` with service, team and solution. */
export function applyCostTags(scope: IConstruct, tags: ResourceTags): void {
  for (const key of TAG_KEYS) Tags.of(scope).add(key, tags[key]);
}
