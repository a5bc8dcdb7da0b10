// The twin's data plane (lambdas/twin: fakes/elb.ts, instances.ts, alb.ts): the ELBv2 fake's semantics
// and authorisation, instances of a baked image running the service as local processes, and the
// listener's host rules as weighted proxies that bots reach through fetch, publishing ALB metrics.

import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { cloudWatchCanarySamples } from '../../lambdas/adapters/aws/pipeline/cloudWatchCanarySamples.ts';
import { builderUserData } from '../../lambdas/adapters/aws/target/userData.ts';
import { judgeCanaryStep } from '../../lambdas/core/canary/judge.ts';
import { parseCanarySpec } from '../../lambdas/core/canary/spec.ts';
import { albDimensions, TwinAlb } from '../../lambdas/twin/alb.ts';
import { installScaledTime } from '../../lambdas/twin/clock.ts';
import { TwinCloudWatch } from '../../lambdas/twin/fakes/cloudWatch.ts';
import { TwinEc2 } from '../../lambdas/twin/fakes/ec2.ts';
import { type TargetHealthCheck, TwinElb } from '../../lambdas/twin/fakes/elb.ts';
import { authorize, type RoleIdentity } from '../../lambdas/twin/iam.ts';
import { commitSourceResolver, TwinInstances } from '../../lambdas/twin/instances.ts';
import { TWIN_ROOT } from '../../lambdas/twin/TwinPlatform.ts';
import { TwinTempDirs } from '../../lambdas/twin/tempDirs.ts';
import { type DeployedTemplates, TWIN_ACCOUNT } from '../../lambdas/twin/template.ts';
import { until } from './support/twinFixture.ts';

const LB = {
  loadBalancerArn: `arn:aws:elasticloadbalancing:eu-west-1:${TWIN_ACCOUNT}:loadbalancer/app/vouch-services/0123456789abcdef`,
  listenerArn: `arn:aws:elasticloadbalancing:eu-west-1:${TWIN_ACCOUNT}:listener/app/vouch-services/0123456789abcdef/0123456789abcdef`,
};
const RAW = { command: {}, client: {} };

function elbWith(health: TargetHealthCheck = async () => ({ state: 'healthy' })) {
  const elb = new TwinElb(LB);
  elb.useHealthCheck(health);
  const fake = elb.fake();
  const send = (command: string, input: Record<string, unknown>) => fake.handle(command, input, RAW);
  return { elb, fake, send };
}

async function pairAndRule(send: (c: string, i: Record<string, unknown>) => Promise<unknown>) {
  const created = async (name: string) =>
    (
      (await send('CreateTargetGroup', {
        Name: name,
        HealthCheckPath: '/health',
        Tags: [{ Key: 'service', Value: 'orders' }],
      })) as {
        TargetGroups: { TargetGroupArn: string }[];
      }
    ).TargetGroups[0]?.TargetGroupArn as string;
  const a = await created('tg-a');
  const b = await created('tg-b');
  const rule = (await send('CreateRule', {
    ListenerArn: LB.listenerArn,
    Priority: 10,
    Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['orders-x.test.example.com'] } }],
    Actions: [
      {
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: a, Weight: 100 },
            { TargetGroupArn: b, Weight: 0 },
          ],
        },
      },
    ],
  })) as { Rules: { RuleArn: string }[] };
  return { a, b, rule: rule.Rules[0]?.RuleArn as string };
}

describe('the ELBv2 fake', () => {
  it('keeps targets, weights and deletions as ELB does, with ELB’s errors', async () => {
    const { elb, send } = elbWith(async (id) =>
      id === 'i-stopped' ? { state: 'unused', reason: 'Target.InvalidState' } : { state: 'healthy' },
    );
    const { a, b, rule } = await pairAndRule(send);

    // Registration: a running instance is registered and reported by the group's health check.
    await send('RegisterTargets', { TargetGroupArn: a, Targets: [{ Id: 'i-1' }] });
    await expect(send('DescribeTargetHealth', { TargetGroupArn: a })).resolves.toEqual({
      TargetHealthDescriptions: [
        { Target: { Id: 'i-1' }, HealthCheckPort: 'traffic-port', TargetHealth: { State: 'healthy' } },
      ],
    });
    await expect(
      send('RegisterTargets', { TargetGroupArn: a, Targets: [{ Id: 'i-stopped' }] }),
    ).rejects.toMatchObject({ name: 'InvalidTargetException' });
    await expect(
      send('DescribeTargetHealth', { TargetGroupArn: b, Targets: [{ Id: 'i-1' }] }),
    ).resolves.toMatchObject({
      TargetHealthDescriptions: [{ TargetHealth: { State: 'unused', Reason: 'Target.NotRegistered' } }],
    });
    await expect(
      send('DeregisterTargets', { TargetGroupArn: b, Targets: [{ Id: 'i-1' }] }),
    ).rejects.toMatchObject({ name: 'InvalidTargetException' });
    await expect(
      send('RegisterTargets', { TargetGroupArn: `${a}0`, Targets: [{ Id: 'i-1' }] }),
    ).rejects.toMatchObject({ name: 'TargetGroupNotFoundException' });

    // Weights: ModifyRule replaces the forward action; weights outside 0-999 are refused.
    const forward = (wa: number, wb: number) => [
      {
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: a, Weight: wa },
            { TargetGroupArn: b, Weight: wb },
          ],
        },
      },
    ];
    await send('ModifyRule', { RuleArn: rule, Actions: forward(80, 20) });
    expect(elb.rules.get(rule)?.actions).toEqual(forward(80, 20));
    await expect(send('ModifyRule', { RuleArn: rule, Actions: forward(1000, 0) })).rejects.toMatchObject({
      name: 'InvalidTargetException',
    });

    // Deletion: a group a rule forwards to is in use; the rule goes first, then the groups.
    await expect(send('DeleteTargetGroup', { TargetGroupArn: a })).rejects.toMatchObject({
      name: 'ResourceInUseException',
    });
    await send('DeleteRule', { RuleArn: rule });
    await expect(send('DeleteRule', { RuleArn: rule })).rejects.toMatchObject({
      name: 'RuleNotFoundException',
    });
    await expect(send('ModifyRule', { RuleArn: rule, Actions: forward(0, 100) })).rejects.toMatchObject({
      name: 'RuleNotFoundException',
    });
    await send('DeregisterTargets', { TargetGroupArn: a, Targets: [{ Id: 'i-1' }] });
    await send('DeleteTargetGroup', { TargetGroupArn: a });
    await send('DeleteTargetGroup', { TargetGroupArn: b });
    expect(elb.targetGroups.size).toBe(0);
    await expect(send('DeleteTargetGroup', { TargetGroupArn: a })).rejects.toMatchObject({
      name: 'TargetGroupNotFoundException',
    });
  });

  it('authorises each call on the resource ELB authorises it on: a grant removed is AccessDenied naming action and resource', async () => {
    const { fake, send } = elbWith();
    const { a, rule } = await pairAndRule(send);
    const ruleArn = rule;
    expect(ruleArn).toMatch(
      /^arn:aws:elasticloadbalancing:eu-west-1:\d{12}:listener-rule\/app\/vouch-services\/0123456789abcdef\/0123456789abcdef\/[0-9a-f]{16}$/,
    );
    const grants = (actions: string[]): RoleIdentity => ({
      roleName: 'deploy',
      roleArn: `arn:aws:iam::${TWIN_ACCOUNT}:role/deploy`,
      policies: [
        {
          name: 'p',
          policy: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: actions.filter((x) => x !== 'elasticloadbalancing:ModifyRule'),
                Resource: `arn:aws:elasticloadbalancing:eu-west-1:${TWIN_ACCOUNT}:targetgroup/*`,
                Condition: { StringEquals: { 'aws:ResourceTag/service': 'orders' } },
              },
              ...(actions.includes('elasticloadbalancing:ModifyRule')
                ? [
                    {
                      Effect: 'Allow',
                      Action: 'elasticloadbalancing:ModifyRule',
                      Resource: `arn:aws:elasticloadbalancing:eu-west-1:${TWIN_ACCOUNT}:listener-rule/app/vouch-services/0123456789abcdef/0123456789abcdef/*`,
                    },
                  ]
                : []),
              { Effect: 'Allow', Action: 'elasticloadbalancing:DescribeTargetHealth', Resource: '*' },
            ],
          },
        },
      ],
    });
    const all = [
      'elasticloadbalancing:RegisterTargets',
      'elasticloadbalancing:DeregisterTargets',
      'elasticloadbalancing:ModifyTargetGroup',
      'elasticloadbalancing:DeleteTargetGroup',
      'elasticloadbalancing:ModifyRule',
    ];
    const calls: [string, Record<string, unknown>, string][] = [
      ['RegisterTargets', { TargetGroupArn: a, Targets: [{ Id: 'i-1' }] }, a],
      ['DeregisterTargets', { TargetGroupArn: a, Targets: [{ Id: 'i-1' }] }, a],
      ['ModifyTargetGroup', { TargetGroupArn: a, HealthCheckPath: '/health' }, a],
      ['DeleteTargetGroup', { TargetGroupArn: a }, a],
      ['ModifyRule', { RuleArn: ruleArn, Actions: [] }, ruleArn],
    ];
    for (const [command, input] of calls) {
      await expect(
        authorize(grants(all), 'deploy', fake.authorization(command, input)),
      ).resolves.toBeUndefined();
    }
    await expect(
      authorize(grants(all), 'deploy', fake.authorization('DescribeTargetHealth', { TargetGroupArn: a })),
    ).resolves.toBeUndefined();
    for (const [command, input, resource] of calls) {
      const action = `elasticloadbalancing:${command}`;
      await expect(
        authorize(grants(all.filter((x) => x !== action)), 'deploy', fake.authorization(command, input)),
      ).rejects.toThrow(`is not authorized to perform: ${action} on resource: ${resource}`);
    }
    // The tag condition is evaluated on the group's own tags.
    const untagged = (await send('CreateTargetGroup', { Name: 'tg-other' })) as {
      TargetGroups: { TargetGroupArn: string }[];
    };
    const other = untagged.TargetGroups[0]?.TargetGroupArn as string;
    await expect(
      authorize(grants(all), 'deploy', fake.authorization('RegisterTargets', { TargetGroupArn: other })),
    ).rejects.toThrow(`elasticloadbalancing:RegisterTargets on resource: ${other}`);
  });
});

describe('instances and the load balancer', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  it('runs a baked image’s service per instance and routes a host’s requests by the rule’s weights, publishing ALB metrics', async () => {
    // Prepare: EC2 bakes an image of examples/orders at two commits (the second with the faulty overlay).
    const ec2 = new TwinEc2(
      { subnetId: 's', securityGroupId: 'sg', instanceRoleArn: 'r' },
      { bootMs: 0, builderRunMs: 0, imageMs: 0 },
    );
    const { elb, send } = elbWith();
    const cloudWatch = new TwinCloudWatch({ resourcesOfType: () => [] } as unknown as DeployedTemplates);
    const v1 = '1'.repeat(40);
    const v2 = '2'.repeat(40);
    const tempDirs = new TwinTempDirs();
    const instances = new TwinInstances(ec2, {
      resolveArtifact: commitSourceResolver(
        new Map([
          [v1, [`${TWIN_ROOT}examples/orders`]],
          [v2, [`${TWIN_ROOT}examples/orders`, `${TWIN_ROOT}examples/orders-faulty`]],
        ]),
        tempDirs,
      ),
      logDir: tempDirs.make('vouch-twin-test-'),
      tempDirs,
    });
    const alb = new TwinAlb(elb, ec2, instances, cloudWatch);
    alb.install();
    stop = async () => {
      await alb.stop();
      await instances.stop();
      await tempDirs.removeAll();
    };
    const ec2fake = ec2.fake();
    const launch = async (commit: string, version: string) => {
      const builder = (await ec2fake.handle(
        'RunInstances',
        {
          ImageId: 'ami-base',
          InstanceInitiatedShutdownBehavior: 'stop',
          UserData: Buffer.from(
            builderUserData({
              service: 'orders',
              artifacts: [`s3://artifacts/orders/${commit}.tar.gz`],
              run: { command: 'node server.mjs', healthPath: '/health' },
              port: 8080,
            }),
          ).toString('base64'),
        },
        RAW,
      )) as { Instances: { InstanceId: string }[] };
      const { ImageId } = (await ec2fake.handle(
        'CreateImage',
        {
          InstanceId: builder.Instances[0]?.InstanceId,
          Name: `orders-${version}`,
          TagSpecifications: [
            { ResourceType: 'image', Tags: [{ Key: 'vouch:health-path', Value: '/health' }] },
          ],
        },
        RAW,
      )) as { ImageId: string };
      const run = (await ec2fake.handle(
        'RunInstances',
        {
          ImageId,
          MinCount: 1,
          TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'version', Value: version }] }],
        },
        RAW,
      )) as { Instances: { InstanceId: string }[] };
      return run.Instances[0]?.InstanceId as string;
    };
    const [one, two] = await Promise.all([launch(v1, '1'), launch(v2, '2')]);
    expect(instances.processes.get(one)?.kind).toBe('starting');
    await until(() => instances.running.length === 2, 30_000, 'both instances serving');
    const { a, b, rule } = await pairAndRule(send);
    await send('RegisterTargets', { TargetGroupArn: a, Targets: [{ Id: one }] });
    await send('RegisterTargets', { TargetGroupArn: b, Targets: [{ Id: two }] });
    await expect(send('DescribeTargetHealth', { TargetGroupArn: b })).resolves.toMatchObject({
      TargetHealthDescriptions: [{ Target: { Id: two }, TargetHealth: { State: 'healthy' } }],
    });

    // Act: 80/20, then 100 requests as a bot sends them, to the environment's https host.
    await send('ModifyRule', {
      RuleArn: rule,
      Actions: [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: a, Weight: 80 },
              { TargetGroupArn: b, Weight: 20 },
            ],
          },
        },
      ],
    });
    const versions: string[] = [];
    for (let n = 0; n < 100; n++) {
      const res = await fetch('https://orders-x.test.example.com/orders/1');
      await res.text();
      expect(res.status).toBe(200);
      versions.push(res.headers.get('x-vouch-version') ?? '');
    }

    // Assess: exactly the weights (the smooth picker), and per target group what an ALB publishes.
    expect(versions.filter((v) => v === '1')).toHaveLength(80);
    expect(versions.filter((v) => v === '2')).toHaveLength(20);
    const requests = (group: string) =>
      cloudWatch.data.filter(
        (d) =>
          d.namespace === 'AWS/ApplicationELB' &&
          d.name === 'RequestCount' &&
          d.dimensions ===
            albDimensions(LB.loadBalancerArn, group)
              .map((x) => `${x.Name}=${x.Value}`)
              .sort()
              .join(','),
      ).length;
    expect(requests(a)).toBe(80);
    expect(requests(b)).toBe(20);
    expect(albDimensions(LB.loadBalancerArn, b)).toEqual([
      { Name: 'LoadBalancer', Value: 'app/vouch-services/0123456789abcdef' },
      { Name: 'TargetGroup', Value: expect.stringMatching(/^targetgroup\/tg-b\/[0-9a-f]{16}$/) },
    ]);
    const latencies = cloudWatch.data.filter((d) => d.name === 'TargetResponseTime');
    expect(latencies).toHaveLength(100);

    // The judge's AWS path on these metrics: five minutes of 80/20 traffic on a clock 30 times faster,
    // read back per slot with GetMetricData (answered by the twin's CloudWatch) and judged. The faulty
    // canary's +60 ms fails latencyP50, as the story's release 3 must be failed on AWS.
    const restoreTime = installScaledTime(30);
    const from = Date.now();
    try {
      const deadline = performance.now() + 11_000; // wall: 5.5 minutes of twin time
      const sender = async () => {
        while (performance.now() < deadline) {
          const res = await fetch('https://orders-x.test.example.com/orders/1');
          await res.text();
        }
      };
      await Promise.all([sender(), sender(), sender(), sender()]);
    } finally {
      restoreTime();
    }
    const to = Math.max(...cloudWatch.data.map((d) => d.at));
    const cwMock = mockClient(CloudWatchClient);
    const cwFake = cloudWatch.fake();
    cwMock.on(GetMetricDataCommand).callsFake((input) => cwFake.handle('GetMetricData', input, RAW));
    try {
      const series = await cloudWatchCanarySamples(new CloudWatchClient({ region: 'eu-west-1' }), {
        targetGroups: async () => ({ baseline: a, canary: b }),
        loadBalancerArn: LB.loadBalancerArn,
      }).samples('orders.qa', from, to, 60);
      expect(series.canary.length).toBeGreaterThanOrEqual(4);
      const verdict = judgeCanaryStep({ ...series, config: parseCanarySpec({}) });
      expect(verdict.outcome).toBe('FAIL');
      // +60 ms on every request moves the whole distribution: p50 fails on its own test.
      const p50 = verdict.signals.find((x) => x.signal === 'latencyP50');
      expect(p50?.outcome).toBe('FAIL');
      expect(p50?.periods).toBe(series.canary.length);
      expect(p50?.effect).toBeGreaterThan(0.1);
    } finally {
      cwMock.restore();
    }

    // Terminate stops the process; the group then has nothing to route to.
    await ec2fake.handle('TerminateInstances', { InstanceIds: [two] }, RAW);
    expect(instances.running).toEqual([one]);
    await expect(send('DescribeTargetHealth', { TargetGroupArn: b })).resolves.toMatchObject({
      TargetHealthDescriptions: [{ TargetHealth: { State: 'unused', Reason: 'Target.InvalidState' } }],
    });
  }, 60_000);
});
