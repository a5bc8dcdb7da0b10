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
import { judgeCanaryStep } from '../../../lambdas/core/canary/judge.ts';
import { parseCanarySpec } from '../../../lambdas/core/canary/spec.ts';

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
  const t = (minute: number) => new Date(FROM + minute * 60_000);
  const samples = () =>
    cloudWatchCanarySamples(cw as unknown as CloudWatchClient, {
      loadBalancerArn: ALB,
      targetGroups: async () => ({ baseline: BASELINE, canary: CANARY }),
    });

  it('joins one paginated GetMetricData by timestamp into per-period series per slot (ms, counts)', async () => {
    // Prepare: the second page continues the series of the first; the canary had no 5XX in minute 0
    // (ALB publishes no datapoint then) and no traffic at all in minute 2.
    cw.on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'latencyp50_baseline', Timestamps: [t(0), t(1)], Values: [0.1, 0.12] },
          { Id: 'latencyp90_baseline', Timestamps: [t(0), t(1)], Values: [0.2, 0.22] },
          { Id: 'latencyp99_baseline', Timestamps: [t(0), t(1)], Values: [0.4, 0.44] },
          { Id: 'requests_baseline', Timestamps: [t(0), t(1)], Values: [600, 620] },
          { Id: 'errors_baseline', Timestamps: [t(1)], Values: [1] },
          { Id: 'latencyp50_canary', Timestamps: [t(0)], Values: [0.2] },
          { Id: 'latencyp90_canary', Timestamps: [t(0)], Values: [0.3] },
          { Id: 'latencyp99_canary', Timestamps: [t(0)], Values: [0.5] },
          { Id: 'requests_canary', Timestamps: [t(0)], Values: [30] },
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'latencyp50_baseline', Timestamps: [t(2)], Values: [0.11] },
          { Id: 'latencyp90_baseline', Timestamps: [t(2)], Values: [0.21] },
          { Id: 'latencyp99_baseline', Timestamps: [t(2)], Values: [0.41] },
          { Id: 'requests_baseline', Timestamps: [t(2)], Values: [580] },
          { Id: 'latencyp50_canary', Timestamps: [t(1)], Values: [0.25] },
          { Id: 'latencyp90_canary', Timestamps: [t(1)], Values: [0.35] },
          { Id: 'latencyp99_canary', Timestamps: [t(1)], Values: [0.55] },
          { Id: 'requests_canary', Timestamps: [t(1)], Values: [31] },
          { Id: 'errors_canary', Timestamps: [t(1)], Values: [4] },
        ],
      });

    // Act
    const result = await samples().samples('shop.qa', FROM, TO, 60);

    // Assess
    expect(result.baseline).toEqual([
      { start: t(0).toISOString(), requests: 600, errors: 0, latencyMs: { p50: 100, p90: 200, p99: 400 } },
      { start: t(1).toISOString(), requests: 620, errors: 1, latencyMs: { p50: 120, p90: 220, p99: 440 } },
      { start: t(2).toISOString(), requests: 580, errors: 0, latencyMs: { p50: 110, p90: 210, p99: 410 } },
    ]);
    expect(result.canary).toEqual([
      { start: t(0).toISOString(), requests: 30, errors: 0, latencyMs: { p50: 200, p90: 300, p99: 500 } },
      { start: t(1).toISOString(), requests: 31, errors: 4, latencyMs: { p50: 250, p90: 350, p99: 550 } },
    ]);
    expect(result.source?.dimensions.canary).toEqual([
      { Name: 'TargetGroup', Value: 'targetgroup/shop-qa-b/9c1e0a3b5d7f2468' },
      { Name: 'LoadBalancer', Value: 'app/shared/50dc6c495c0c9188' },
    ]);
    expect(cw).toReceiveCommandTimes(GetMetricDataCommand, 2);
    expect(cw).toReceiveCommandWith(GetMetricDataCommand, {
      StartTime: new Date(FROM),
      EndTime: new Date(TO),
      NextToken: 'page-2',
      MetricDataQueries: expect.arrayContaining(
        (['p50', 'p90', 'p99'] as const).map((p) =>
          expect.objectContaining({
            Id: `latency${p}_canary`,
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
              Stat: p,
            },
          }),
        ),
      ),
    });
    expect(cw).toReceiveCommandWith(GetMetricDataCommand, {
      MetricDataQueries: expect.arrayContaining([
        expect.objectContaining({
          Id: 'requests_baseline',
          MetricStat: expect.objectContaining({
            Metric: expect.objectContaining({ MetricName: 'RequestCount' }),
            Stat: 'Sum',
          }),
        }),
        expect.objectContaining({
          Id: 'errors_baseline',
          MetricStat: expect.objectContaining({
            Metric: expect.objectContaining({ MetricName: 'HTTPCode_Target_5XX_Count' }),
            Stat: 'Sum',
          }),
        }),
      ]),
    });
  });

  it('asks for whole minutes: ALB metrics have one datapoint per 60 s', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

    await samples().samples('shop.qa', FROM, TO, 10);
    await samples().samples('shop.qa', FROM, TO, 90);

    const periods = cw
      .commandCalls(GetMetricDataCommand)
      .map((c) => c.args[0].input.MetricDataQueries?.[0]?.MetricStat?.Period);
    expect(periods).toEqual([60, 120]);
  });

  it('gives an empty series for a slot that served nothing, and skips a period without latency', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'requests_baseline', Timestamps: [t(0)], Values: [5] }],
    });

    const result = await samples().samples('shop.qa', FROM, TO, 60);

    expect(result.canary).toEqual([]);
    expect(result.baseline).toEqual([]);
  });

  it('feeds the judge directly: a canary twice as slow in every minute fails latencyP50', async () => {
    const minutes = [0, 1, 2, 3, 4];
    const series = (id: string, values: number[]) => ({ Id: id, Timestamps: minutes.map(t), Values: values });
    const jitter = [1, 1.05, 0.97, 1.02, 0.99];
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        ...(['p50', 'p90', 'p99'] as const).flatMap((p, i) => [
          series(
            `latency${p}_baseline`,
            jitter.map((j) => 0.05 * (i + 1) * j),
          ),
          series(
            `latency${p}_canary`,
            jitter.map((j) => 0.1 * (i + 1) * (2 - j)),
          ),
        ]),
        series('requests_baseline', [900, 910, 880, 905, 890]),
        series('requests_canary', [100, 98, 101, 99, 102]),
      ],
    });
    const result = await samples().samples('shop.qa', FROM, TO, 60);

    const verdict = judgeCanaryStep({ ...result, config: parseCanarySpec({}) });

    expect(verdict.outcome).toBe('FAIL');
    expect(verdict.decisive).toBe('latencyP50');
    expect(verdict.series?.source?.namespace).toBe('AWS/ApplicationELB');
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
