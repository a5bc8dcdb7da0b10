import { App, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { applyCostTags, PLATFORM_TAGS, requireCostTags } from '../../../lib/aspects/RequiredTagsAspect.ts';
import { CostAllocationTags, CostCollector, TeamCostDashboard } from '../../../lib/cost/index.ts';

describe('cost constructs under cdk-nag and the tag aspect', { timeout: 120_000 }, () => {
  it('have no unacknowledged AwsSolutions finding and every resource tagged', () => {
    // Prepare: the constructs as the platform stack uses them, with the same checks bin/vouch.ts adds.
    const app = new App();
    const stack = new Stack(app, 'Cost');
    applyCostTags(stack, PLATFORM_TAGS);
    const table = new dynamodb.Table(stack, 'Builds', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    });
    new CostCollector(stack, 'Collector', { table, bundle: false });
    new CostAllocationTags(stack, 'CostAllocationTags');
    new TeamCostDashboard(stack, 'Payments', { team: 'payments', services: [{ name: 'checkout' }] });
    requireCostTags(app);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    // Act
    const synth = () => app.synth();

    // Assess
    expect(synth).not.toThrow();
  }, 120_000); // synthesizing the whole app with every check takes ~25 s alone, more on a loaded machine
});
