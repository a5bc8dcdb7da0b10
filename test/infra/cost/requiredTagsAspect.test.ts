import { App, CfnResource, Stack, Tags } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import {
  applyCostTags,
  PLATFORM_TAGS,
  RequiredTagsAspect,
  requireCostTags,
} from '../../../lib/aspects/RequiredTagsAspect.ts';

const serviceTags = { service: 'checkout', team: 'payments', solution: 'shop' };

// The first successful synth in a worker loads most of aws-cdk-lib: slow on a loaded machine, hence
// the larger budget (no timing is asserted).
describe('RequiredTagsAspect', { timeout: 120_000 }, () => {
  it('fails synth naming the construct path of an untagged resource', () => {
    // Prepare: a tagged service stack and a stack with one resource nobody tagged.
    const app = new App();
    requireCostTags(app);
    const service = new Stack(app, 'Checkout');
    applyCostTags(service, serviceTags);
    new sns.Topic(service, 'Alerts');
    const stray = new Stack(app, 'Stray');
    new s3.Bucket(stray, 'Reports');

    // Act
    const synth = () => app.synth();

    // Assess: the path of the untagged bucket is named, the tagged topic is not.
    expect(synth).toThrow(/Stray\/Reports\/Resource \(AWS::S3::Bucket\) has no service, team, solution tag/);
    expect(synth).not.toThrow(/Checkout\/Alerts/);
  });

  it('names only the keys that are missing', () => {
    // Prepare
    const app = new App();
    requireCostTags(app);
    const stack = new Stack(app, 'Partial');
    Tags.of(stack).add('service', 'checkout');
    Tags.of(stack).add('team', ' ');
    new dynamodb.Table(stack, 'Builds', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    });

    // Act + Assess: a blank value counts as missing.
    expect(() => app.synth()).toThrow(
      /Partial\/Builds\/Resource \(AWS::DynamoDB::Table\) has no team, solution tag/,
    );
  });

  it('passes a fully tagged app, tags from props and from Tags.of() alike', () => {
    // Prepare
    const app = new App();
    requireCostTags(app);
    const platform = new Stack(app, 'Platform');
    applyCostTags(platform, PLATFORM_TAGS);
    new s3.Bucket(platform, 'Artifacts');
    const literal = new Stack(app, 'Literal');
    new CfnResource(literal, 'Queue', {
      type: 'AWS::SQS::Queue',
      properties: { Tags: [{ Key: 'service', Value: 'x' }] },
    });
    new sns.CfnTopic(literal, 'Topic', {
      tags: Object.entries(serviceTags).map(([key, value]) => ({ key, value })),
    });

    // Act
    const assembly = app.synth();

    // Assess: synth succeeded and the tags are in the template.
    expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual(['Literal', 'Platform']);
    Template.fromStack(platform).hasResourceProperties('AWS::S3::Bucket', {
      Tags: [
        { Key: 'service', Value: 'vouch' },
        { Key: 'solution', Value: 'vouch' },
        { Key: 'team', Value: 'platform' },
      ],
    });
  });

  it('runs after tag aspects even when added before them, and honours custom required keys', () => {
    // Prepare: the aspect is added first; the environment tag is applied afterwards, on the stack.
    const app = new App();
    requireCostTags(app, { requiredKeys: ['service', 'team', 'solution', 'environment'] });
    const stack = new Stack(app, 'Qa');
    applyCostTags(stack, serviceTags);
    new sns.Topic(stack, 'Alerts');
    const tagged = new App();
    requireCostTags(tagged, { requiredKeys: ['environment'] });
    const qa = new Stack(tagged, 'Qa');
    new sns.Topic(qa, 'Alerts');
    Tags.of(tagged).add('environment', 'qa');

    // Act + Assess
    expect(() => app.synth()).toThrow(/Qa\/Alerts\/Resource \(AWS::SNS::Topic\) has no environment tag/);
    expect(() => tagged.synth()).not.toThrow();
  });

  it('defaults to the service, team and solution keys', () => {
    // Prepare
    const app = new App();
    const aspect = new RequiredTagsAspect();
    const stack = new Stack(app, 'S');
    Tags.of(stack).add('service', 'a');
    Tags.of(stack).add('team', 'b');
    Tags.of(stack).add('solution', 'c');
    Tags.of(stack).add('environment', 'qa');
    const topic = new sns.Topic(stack, 'T');
    const untagged = new sns.Topic(new Stack(app, 'U'), 'T');

    // Act: visit directly, as CDK would, after tags rendered.
    app.synth();
    aspect.visit(topic.node.defaultChild as CfnResource);
    aspect.visit(untagged.node.defaultChild as CfnResource);

    // Assess
    expect(topic.node.defaultChild?.node.validate()).toEqual([]);
    expect(untagged.node.defaultChild?.node.validate()).toEqual([
      expect.stringContaining('has no service, team, solution tag'),
    ]);
  });
});
