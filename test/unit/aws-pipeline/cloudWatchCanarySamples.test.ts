import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  alignedRange,
  cloudWatchCanarySamples,
  elbTargetGroups,
  loadBalancerDimension,
  targetGroupDimension,
} from '../../../lambdas/adapters/aws/pipeline/cloudWatchCanarySamples.ts';
import { CanaryTargetGroupsNotFoundError } from '../../../lambdas/adapters/aws/pipeline/errors.ts';
import { ephemeralTargetGroupNames } from '../../../lambdas/adapters/aws/target/Ec2DeployTarget.ts';

const cw = mockClient(CloudWatchClient);
const elb = mockClient(ElasticLoadBalancingV2Client);

const ALB = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/shared/50dc6c495c0c9188';
const tg = (name: string, id: string) =>
  `arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/${name}/${id}`;
const BASELINE = tg('shop-qa-a', '73e2d6bc24d8a067');
const CANARY = tg('shop-qa-b', '9c1e0a3b5d7f2468');
const FROM = Date.parse('2026-03-01T10:00:00Z');
const TO = Date.parse('2026-03-01T10:05:00Z');

afterAll(() => {
  cw.restore();
  elb.restore();
});

beforeEach(() => {
  cw.reset();
  elb.reset();
});

describe('ALB metric dimensions', () => {
  it('are the ARN resource parts CloudWatch names them by', () => {
    expect(targetGroupDimension(BASELINE)).toBe('targetgroup/shop-qa-a/73e2d6bc24d8a067');
    expect(loadBalancerDimension(ALB)).toBe('app/shared/50dc6c495c0c9188');
    expect(() => targetGroupDimension(ALB)).toThrow(CanaryTargetGroupsNotFoundError);
  });
});

describe('alignedRange', () => {
  it('keeps the whole periods inside the window', () => {
    const { start, end } = alignedRange(FROM + 15_000, TO + 30_000, 60);

    expect(start.toISOString()).toBe('2026-03-01T10:01:00.000Z');
    expect(end.toISOString()).toBe('2026-03-01T10:05:00.000Z');
  });

  it('widens a window shorter than one aligned period to the periods covering it', () => {
    const { start, end } = alignedRange(FROM + 10_000, FROM + 40_000, 60);

    expect(start.toISOString()).toBe('2026-03-01T10:00:00.000Z');
    expect(end.toISOString()).toBe('2026-03-01T10:01:00.000Z');
  });
});

describe('cloudWatchCanarySamples', () => {
  it('turns one paginated GetMetricData into per-slot latency series (ms) and summed counts', async () => {
    // Prepare: the second page continues the series of the first.
    cw.on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'latency_baseline', Values: [0.1, 0.12] },
          { Id: 'requests_baseline', Values: [600, 620] },
          { Id: 'failed_baseline', Values: [1] },
          { Id: 'latency_canary', Values: [0.2] },
          { Id: 'requests_canary', Values: [30] },
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'latency_baseline', Values: [0.11] },
          { Id: 'requests_baseline', Values: [580] },
          { Id: 'latency_canary', Values: [0.25, 0.3] },
          { Id: 'requests_canary', Values: [31, 29] },
          { Id: 'failed_canary', Values: [4, 2] },
        ],
      });
    const samples = cloudWatchCanarySamples(cw as unknown as CloudWatchClient, {
      loadBalancerArn: ALB,
      targetGroups: async () => ({ baseline: BASELINE, canary: CANARY }),
    });

    // Act
    const result = await samples.samples('shop.qa', FROM, TO);

    // Assess
    expect(result.baseline.latencyMs).toEqual([100, 120, 110]);
    expect(result.canary.latencyMs).toEqual([200, 250, 300]);
    expect(result.baseline.errors).toEqual({ requests: 1800, failed: 1 });
    expect(result.canary.errors).toEqual({ requests: 90, failed: 6 });
    expect(cw).toReceiveCommandTimes(GetMetricDataCommand, 2);
    expect(cw).toReceiveCommandWith(GetMetricDataCommand, {
      StartTime: new Date(FROM),
      EndTime: new Date(TO),
      NextToken: 'page-2',
      MetricDataQueries: expect.arrayContaining([
        expect.objectContaining({
          Id: 'latency_canary',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/ApplicationELB',
              MetricName: 'TargetResponseTime',
              Dimensions: [
                { Name: 'TargetGroup', Value: 'targetgroup/shop-qa-b/9c1e0a3b5d7f2468' },
                { Name: 'LoadBalancer', Value: 'app/shared/50dc6c495c0c9188' },
              ],
            },
            Period: 60,
            Stat: 'p50',
          },
        }),
        expect.objectContaining({
          Id: 'failed_baseline',
          MetricStat: expect.objectContaining({
            Metric: expect.objectContaining({ MetricName: 'HTTPCode_Target_5XX_Count' }),
            Stat: 'Sum',
          }),
        }),
      ]),
    });
  });

  it('gives empty series and zero counts for a side that served nothing', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const samples = cloudWatchCanarySamples(cw as unknown as CloudWatchClient, {
      loadBalancerArn: ALB,
      targetGroups: async () => ({ baseline: BASELINE, canary: CANARY }),
    });

    const result = await samples.samples('shop.qa', FROM, TO);

    expect(result.canary).toEqual({ latencyMs: [], errors: { requests: 0, failed: 0 } });
  });
});

describe('elbTargetGroups', () => {
  const tags = (arn: string, environment: string, slot: string) => ({
    ResourceArn: arn,
    Tags: [
      { Key: 'vouch:environment-id', Value: environment },
      { Key: 'vouch:slot', Value: slot },
    ],
  });

  it("finds a lasting environment's slots by tag among the shared ALB's groups, all pages", async () => {
    // Prepare: promote swapped the slots, so b is now the baseline.
    const other = tg('cart-qa-a', '0000000000000001');
    elb
      .on(DescribeTargetGroupsCommand, { LoadBalancerArn: ALB, Marker: undefined })
      .resolves({ TargetGroups: [{ TargetGroupArn: other }, { TargetGroupArn: BASELINE }], NextMarker: 'm2' })
      .on(DescribeTargetGroupsCommand, { LoadBalancerArn: ALB, Marker: 'm2' })
      .resolves({ TargetGroups: [{ TargetGroupArn: CANARY }] });
    elb.on(DescribeTagsCommand).resolves({
      TagDescriptions: [
        tags(other, 'cart.qa', 'baseline'),
        tags(BASELINE, 'shop.qa', 'canary'),
        tags(CANARY, 'shop.qa', 'baseline'),
      ],
    });

    // Act
    const groups = await elbTargetGroups(elb as unknown as ElasticLoadBalancingV2Client, {
      loadBalancerArn: ALB,
    })('shop.qa');

    // Assess
    expect(groups).toEqual({ baseline: CANARY, canary: BASELINE });
    expect(elb).toReceiveCommandWith(DescribeTagsCommand, { ResourceArns: [other, BASELINE, CANARY] });
  });

  it('looks an ephemeral environment up by its hashed group names', async () => {
    // Prepare
    const id = 'shop.test.r-1234';
    const names = ephemeralTargetGroupNames(id);
    const a = tg(names.a, '1');
    const b = tg(names.b, '2');
    elb
      .on(DescribeTargetGroupsCommand)
      .resolves({ TargetGroups: [{ TargetGroupArn: a }, { TargetGroupArn: b }] });
    elb
      .on(DescribeTagsCommand)
      .resolves({ TagDescriptions: [tags(a, id, 'baseline'), tags(b, id, 'canary')] });

    // Act
    const groups = await elbTargetGroups(elb as unknown as ElasticLoadBalancingV2Client, {
      loadBalancerArn: ALB,
    })(id);

    // Assess
    expect(groups).toEqual({ baseline: a, canary: b });
    expect(elb).toReceiveCommandWith(DescribeTargetGroupsCommand, { Names: [names.a, names.b] });
  });

  it('refuses an environment without exactly one group per slot', async () => {
    elb.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [{ TargetGroupArn: BASELINE }] });
    elb.on(DescribeTagsCommand).resolves({ TagDescriptions: [tags(BASELINE, 'shop.qa', 'baseline')] });

    const found = elbTargetGroups(elb as unknown as ElasticLoadBalancingV2Client, { loadBalancerArn: ALB })(
      'shop.qa',
    );

    await expect(found).rejects.toThrow(CanaryTargetGroupsNotFoundError);
    await expect(found).rejects.toThrow('found 1 and 0');
  });
});
