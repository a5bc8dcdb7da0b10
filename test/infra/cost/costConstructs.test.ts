import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import { describe, expect, it } from 'vitest';
import { CostAllocationTags } from '../../../lib/cost/CostAllocationTags.ts';
import { CostCollector } from '../../../lib/cost/CostCollector.ts';

function stackWithTable() {
  const stack = new Stack(new App(), 'Platform', { env: { account: '111111111111', region: 'eu-west-1' } });
  const table = new dynamodb.Table(stack, 'Builds', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
  });
  return { stack, table };
}

function policyStatements(template: Template): Array<Record<string, unknown>> {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (p) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>,
  );
}

// The first synth in a worker loads most of aws-cdk-lib; on a loaded 2-core machine that alone can
// take tens of seconds, so these suites allow more than the default 30 s (no timing is asserted).
describe('CostCollector', { timeout: 120_000 }, () => {
  it('applies its documented defaults: daily 06:00 UTC, 3 days, UnblendedCost, tag activation on', () => {
    // Prepare
    const { stack, table } = stackWithTable();

    // Act
    new CostCollector(stack, 'Cost', { table, bundle: false });
    const template = Template.fromStack(stack);

    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 6 * * ? *)',
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 2 } })],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 300,
      Environment: {
        Variables: Match.objectLike({
          VOUCH_BUILD_TABLE: { Ref: Match.stringLikeRegexp('Builds') },
          VOUCH_COST_LOOKBACK_DAYS: '3',
          VOUCH_COST_METRIC: 'UnblendedCost',
          VOUCH_COST_ACTIVATE_TAGS: 'true',
        }),
      },
    });
    expect(policyStatements(template)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: 'ce:UpdateCostAllocationTagsStatus', Resource: '*' }),
      ]),
    );
  });

  it('grants least privilege: CE reads on *, metrics to Vouch/Cost only, PutItem on COST# keys only', () => {
    // Prepare
    const { stack, table } = stackWithTable();

    // Act
    new CostCollector(stack, 'Cost', {
      table,
      bundle: false,
      activateCostAllocationTags: false,
      lookbackDays: 7,
      costMetric: 'AmortizedCost',
      schedule: events.Schedule.rate(Duration.hours(12)),
    });
    const template = Template.fromStack(stack);
    const statements = policyStatements(template);

    // Assess
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Sid: 'ReadCostExplorer', Action: 'ce:GetCostAndUsage', Resource: '*' }),
        expect.objectContaining({
          Action: 'cloudwatch:PutMetricData',
          Resource: '*',
          Condition: { StringEquals: { 'cloudwatch:namespace': 'Vouch/Cost' } },
        }),
        expect.objectContaining({
          Action: 'dynamodb:PutItem',
          Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Builds/), 'Arn'] },
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['COST#*'] } },
        }),
      ]),
    );
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions).not.toContain('ce:UpdateCostAllocationTagsStatus');
    expect(actions.filter((a) => String(a).startsWith('dynamodb:'))).toEqual(['dynamodb:PutItem']);
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(12 hours)' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          VOUCH_COST_LOOKBACK_DAYS: '7',
          VOUCH_COST_METRIC: 'AmortizedCost',
          VOUCH_COST_ACTIVATE_TAGS: 'false',
        }),
      },
    });
  });

  it('refuses a look-back CloudWatch could not store', () => {
    const { stack, table } = stackWithTable();
    expect(() => new CostCollector(stack, 'Cost', { table, bundle: false, lookbackDays: 20 })).toThrow(
      /lookbackDays must be an integer from 1 to 14/,
    );
  });
});

describe('CostAllocationTags', { timeout: 120_000 }, () => {
  it('activates service, team, solution and environment through Cost Explorer in us-east-1 by default', () => {
    // Prepare
    const stack = new Stack(new App(), 'Billing');

    // Act
    const tags = new CostAllocationTags(stack, 'Tags');
    const template = Template.fromStack(stack);

    // Assess
    expect(tags.tagKeys).toEqual(['service', 'team', 'solution', 'environment']);
    const resource = Object.values(template.findResources('Custom::AWS'))[0];
    const create = JSON.parse(String(resource?.Properties.Create)) as Record<string, unknown>;
    expect(create).toMatchObject({
      service: 'CostExplorer',
      action: 'UpdateCostAllocationTagsStatus',
      region: 'us-east-1',
      parameters: {
        CostAllocationTagsStatus: ['service', 'team', 'solution', 'environment'].map((TagKey) => ({
          TagKey,
          Status: 'Active',
        })),
      },
    });
    expect(resource?.Properties.Delete).toBeUndefined();
    expect(policyStatements(template)).toEqual([
      expect.objectContaining({ Action: 'ce:UpdateCostAllocationTagsStatus', Resource: '*' }),
    ]);
  });
});
