import { CfnResource, type Stack, TagManager } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { TAG_KEYS } from '../../lambdas/core/shared/tags.ts';
import { type SynthesisedVouch, synthVouch } from './support/vouchApp.ts';

let vouch: SynthesisedVouch;
beforeAll(() => {
  vouch = synthVouch();
});

/** Every taggable CloudFormation resource with the tags its template renders. */
function taggable(stack: Stack): { path: string; logicalId: string; tags: Record<string, string> }[] {
  const resources = vouch.app.synth().getStackByName(stack.stackName).template.Resources as Record<
    string,
    { Properties?: { Tags?: unknown } }
  >;
  return stack.node
    .findAll()
    .filter((c): c is CfnResource => CfnResource.isCfnResource(c) && TagManager.isTaggable(c))
    .map((c) => {
      const logicalId = stack.resolve(c.logicalId) as string;
      const rendered = resources[logicalId]?.Properties?.Tags;
      // Tags render as a list of {Key, Value} or as a map, depending on the resource type.
      const tags = Array.isArray(rendered)
        ? Object.fromEntries(rendered.map((t: { Key: string; Value: string }) => [t.Key, t.Value]))
        : ((rendered ?? {}) as Record<string, string>);
      return { path: c.node.path, logicalId, tags };
    });
}

describe('cost tags', () => {
  it('puts service, team and solution on every taggable resource of every stack', () => {
    // Prepare
    const stacks: [Stack, Record<string, string>][] = [
      [vouch.stacks.platform, { service: 'vouch', team: 'platform', solution: 'vouch' }],
      ...vouch.config.services.map((s): [Stack, Record<string, string>] => [
        vouch.stacks.services.get(s.name) as Stack,
        { service: s.name, team: s.team, solution: s.solution },
      ]),
    ];
    for (const [stack, expected] of stacks) {
      // Act
      const resources = taggable(stack);
      // Assess
      expect(resources.length, stack.stackName).toBeGreaterThanOrEqual(4);
      for (const r of resources) {
        for (const key of TAG_KEYS) expect(r.tags[key], `${r.path} ${key}`).toBe(expected[key]);
      }
    }
  });
});
