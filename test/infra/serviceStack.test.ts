import { Match } from 'aws-cdk-lib/assertions';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { alarmName } from '../../lambdas/core/evidence/alarms.ts';
import { ManualClock } from '../../lambdas/core/evidence/clock.ts';
import { BotRunEventSchema, handleBotRun } from '../../lambdas/core/evidence/events.ts';
import { METRIC_NAMESPACE } from '../../lambdas/core/evidence/metrics.ts';
import { RUNTIME_ENV } from '../../lib/platform/runtimeEnvironment.ts';
import {
  propsOf,
  resourcesOf,
  type SynthesisedVouch,
  statementsOfRole,
  synthVouch,
} from './support/vouchApp.ts';

let vouch: SynthesisedVouch;
beforeAll(() => {
  vouch = synthVouch();
});

const template = (service: string) => {
  const t = vouch.services.get(service);
  if (!t) throw new Error(`no stack for ${service}`);
  return t;
};

describe('service stacks', () => {
  it('makes one stack per configured service', () => {
    expect([...vouch.services.keys()]).toEqual(vouch.config.services.map((s) => s.name));
  });

  it('creates the golden-signal alarms of every environment, named as the evidence core names them', () => {
    for (const service of vouch.config.services) {
      // Act
      const names = Object.values(resourcesOf(template(service.name), 'AWS::CloudWatch::Alarm'))
        .map((a) => a.Properties?.AlarmName)
        .sort();
      // Assess
      const expected = service.environments.flatMap((env) =>
        (['errorRate', 'latency', 'traffic'] as const).map((signal) =>
          alarmName(service.name, env.name, signal),
        ),
      );
      expect(names).toEqual(expected.sort());
    }
  });

  it('computes the error rate with metric math over bot failures and requests, at the configured threshold', () => {
    template('orders').hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: alarmName('orders', 'prod', 'errorRate'),
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 2,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      TreatMissingData: 'missing',
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: '100 * numerator / denominator', ReturnData: true }),
        Match.objectLike({
          Id: 'numerator',
          MetricStat: Match.objectLike({
            Metric: {
              Namespace: METRIC_NAMESPACE,
              MetricName: 'failures',
              Dimensions: Match.arrayWith([
                { Name: 'environment', Value: 'prod' },
                { Name: 'service', Value: 'orders' },
              ]),
            },
            Stat: 'Sum',
            Period: 60,
          }),
        }),
      ]),
    });
  });

  it('watches latency p99 and a traffic floor where missing data is breaching', () => {
    template('orders').hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: alarmName('orders', 'qa', 'latency'),
      MetricName: 'latency',
      ExtendedStatistic: 'p99',
      Threshold: 800,
      EvaluateLowSampleCountPercentile: 'evaluate',
    });
    template('catalog').hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: alarmName('catalog', 'prod', 'traffic'),
      MetricName: 'requests',
      Statistic: 'SampleCount',
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
    });
  });

  it('schedules each bot scenario of each lasting environment with the whole scenario the bot Lambda parses', async () => {
    // Prepare
    const orders = vouch.config.services.find((s) => s.name === 'orders');
    const botFunction = vouch.stacks.platform.handlers.get('bot')?.function;
    const lasting = (orders?.environments ?? []).filter((e) => !e.ephemeral);
    // Act
    const schedules = Object.values(resourcesOf(template('orders'), 'AWS::Scheduler::Schedule')).map(
      (s) => s.Properties ?? {},
    );
    // Assess: the test environment has none here (its host is per run: deploy schedules its bots).
    expect(lasting.length).toBeGreaterThan(0);
    expect(schedules).toHaveLength(lasting.length * (orders?.scenarios.length ?? 0));
    expect(schedules.map((s) => s.Name)).not.toContain(expect.stringMatching(/^test-/));
    for (const env of lasting) {
      for (const scenario of orders?.scenarios ?? []) {
        const schedule = schedules.find((s) => s.Name === `${env.name}-${scenario.name}`);
        expect(schedule, `${env.name}/${scenario.name}`).toMatchObject({
          GroupName: 'vouch-orders-bots',
          ScheduleExpression: 'rate(1 minute)',
          // Switched on by the first deploy there (lastingBotSchedules.ts): before it, bots would fail.
          State: 'DISABLED',
          Target: {
            Arn: { 'Fn::ImportValue': expect.stringContaining('BotFunction') },
            RetryPolicy: { MaximumRetryAttempts: 0 },
          },
        });
        const input = JSON.parse(
          String((propsOf({ Properties: schedule }).Target as { Input: string }).Input),
        );
        // Defect 2: what the bot Lambda parses, scenario object and all; rate 40/min = 40 runs a minute.
        const event = BotRunEventSchema.parse(input);
        expect(event).toMatchObject({ service: 'orders', environment: env.name, baseUrl: env.baseUrl });
        expect(event.scenario).toEqual(scenario);
        expect(event.runs).toBe(Math.min(60, Math.round(scenario.rate.default ?? 0)));
        // The bot handler runs it (no EvidenceSpecError on the schedule's input).
        const results = await handleBotRun(input, {
          fetch: async () => new Response(JSON.stringify({ item: 'coffee beans', id: 1 }), { status: 201 }),
          clock: new ManualClock(0),
          sleep: async () => undefined,
        });
        expect(results).toHaveLength(event.runs);
      }
    }
    expect(botFunction).toBeDefined();
    // The scheduler role may invoke the bot Lambda and nothing else.
    const roles = resourcesOf(template('orders'), 'AWS::IAM::Role');
    const botRole = Object.keys(roles).find((id) => id.startsWith('BotsRole')) ?? '';
    // Named: the deploy task may pass exactly this role back to Scheduler when it switches them on.
    expect(roles[botRole]?.Properties?.RoleName).toBe('vouch-orders-bot-scheduler');
    expect(statementsOfRole(template('orders'), botRole)).toEqual([
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: { 'Fn::ImportValue': expect.stringContaining('BotFunction') },
      },
    ]);
  });

  it('creates no schedule for a service without scenarios', () => {
    expect(Object.keys(resourcesOf(template('catalog'), 'AWS::Scheduler::Schedule'))).toEqual([]);
  });

  it('has a dashboard per service and a CodeBuild project vouch-<service> that may answer the pipelines', () => {
    for (const service of vouch.config.services) {
      template(service.name).hasResourceProperties('AWS::CloudWatch::Dashboard', {
        DashboardName: `vouch-${service.name}`,
      });
      template(service.name).hasResourceProperties('AWS::CodeBuild::Project', {
        Name: `vouch-${service.name}`,
        Source: Match.objectLike({ Type: 'GITHUB', Location: `https://github.com/${service.repo}.git` }),
        Environment: Match.objectLike({ PrivilegedMode: false, Type: 'ARM_CONTAINER' }),
      });
      template(service.name).hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
              Resource: '*',
            }),
          ]),
        },
      });
    }
  });

  it("lets each build project write only under its own service's prefix of the platform's artifact bucket", () => {
    // Prepare: the platform bucket's name as the platform template spells it
    const bucket = Object.values(resourcesOf(vouch.platform, 'AWS::S3::Bucket'))[0];
    const bucketName = propsOf(bucket).BucketName;
    expect(bucketName).toBeDefined();

    for (const service of vouch.config.services) {
      // Assess: the same name on the project, and PutObject on <bucket>/<service>/* only
      template(service.name).hasResourceProperties('AWS::CodeBuild::Project', {
        Environment: Match.objectLike({
          EnvironmentVariables: [{ Name: RUNTIME_ENV.artifactBucket, Type: 'PLAINTEXT', Value: bucketName }],
        }),
      });
      const s3 = Object.values(resourcesOf(template(service.name), 'AWS::IAM::Policy'))
        .flatMap(
          (p) =>
            (propsOf(p).PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] }).Statement,
        )
        .filter((st) => JSON.stringify(st.Action).includes('s3:'));
      expect(s3).toHaveLength(1);
      expect(s3[0]?.Action).toBe('s3:PutObject');
      expect(flattenCfnReference(s3[0]?.Resource)).toBe(
        `arn:<AWS::Partition>:s3:::${flattenCfnReference(bucketName)}/${service.name}/*`,
      );
    }
  });
});

describe('a Lambda service’s stack', () => {
  it('publishes a first version of the configured function and points an alias per lasting environment at it', () => {
    // Act
    const versions = Object.values(resourcesOf(template('orders-fn'), 'AWS::Lambda::Version'));
    const aliases = Object.values(resourcesOf(template('orders-fn'), 'AWS::Lambda::Alias'));
    // Assess: qa and prod (not the per-run test aliases), no EC2 routing.
    expect(versions.map((v) => propsOf(v).FunctionName)).toEqual(['orders-fn']);
    expect(aliases.map((a) => [propsOf(a).Name, propsOf(a).FunctionName]).sort()).toEqual([
      ['prod', 'orders-fn'],
      ['qa', 'orders-fn'],
    ]);
    for (const a of aliases)
      expect(propsOf(a).FunctionVersion).toMatchObject({ 'Fn::GetAtt': [expect.any(String), 'Version'] });
    expect(
      Object.keys(resourcesOf(template('orders-fn'), 'AWS::ElasticLoadBalancingV2::TargetGroup')),
    ).toEqual([]);
    expect(Object.keys(resourcesOf(template('orders'), 'AWS::Lambda::Alias'))).toEqual([]);
  });
});
