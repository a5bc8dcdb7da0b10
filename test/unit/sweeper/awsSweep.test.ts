// The scheduled sweeper's ports on AWS (awsSweep.ts), over mocked SDK clients: one inventory of EC2
// test environments, AMIs and builders, Lambda test aliases and versions, lasting environments'
// canaries, and bot schedules and alarms whose environment is gone; running runs from the build
// table and DescribeExecution; each kind removed its own way, a test alias after its bots and alarms. The decisions are the core's (sweep.ts), checked here end to end.
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  type DescribeInstancesCommandInput,
  EC2Client,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  DeleteAliasCommand,
  DeleteFunctionCommand,
  DeleteFunctionUrlConfigCommand,
  LambdaClient,
  ListAliasesCommand,
  ListVersionsByFunctionCommand,
} from '@aws-sdk/client-lambda';
import {
  DeleteScheduleCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runBotSchedulePrefix } from '../../../lambdas/adapters/aws/evidence/runBotSchedules.ts';
import { parseReconcileRegistry } from '../../../lambdas/adapters/aws/reconcile/registry.ts';
import { type AwsSweepPortsDeps, awsSweepPorts } from '../../../lambdas/adapters/aws/sweeper/awsSweep.ts';
import { SweepError } from '../../../lambdas/core/sweeper/errors.ts';
import { sweep } from '../../../lambdas/core/sweeper/sweep.ts';
import { EnvironmentNotFoundError } from '../../../lambdas/core/target/errors.ts';
import type { EnvironmentDescription } from '../../../lambdas/core/target/port.ts';

const ec2 = mockClient(EC2Client);
const elb = mockClient(ElasticLoadBalancingV2Client);
const sfn = mockClient(SFNClient);
const lambda = mockClient(LambdaClient);
const scheduler = mockClient(SchedulerClient);
const cloudWatch = mockClient(CloudWatchClient);
afterEach(() => {
  ec2.reset();
  elb.reset();
  sfn.reset();
  lambda.reset();
  scheduler.reset();
  cloudWatch.reset();
});

const NOW = new Date('2026-12-02T12:00:00Z');
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000);
/** Lambda's own format for LastModified (`+0000`, no colon). */
const lambdaTime = (h: number) => hoursAgo(h).toISOString().replace('Z', '+0000');
const MACHINES = {
  'ec2-canary': 'arn:aws:states:eu-west-1:111122223333:stateMachine:vouch-ec2-canary',
  'lambda-canary': 'arn:aws:states:eu-west-1:111122223333:stateMachine:vouch-lambda-canary',
};
const SERVICES = parseReconcileRegistry(
  JSON.stringify([
    {
      service: 'orders',
      team: 'checkout',
      flavour: 'ec2-canary',
      environments: [
        { name: 'test', ephemeral: true },
        { name: 'qa', ephemeral: false },
      ],
    },
    {
      service: 'orders-fn',
      team: 'checkout',
      flavour: 'lambda-canary',
      environments: [
        { name: 'test', ephemeral: true },
        { name: 'qa', ephemeral: false },
      ],
    },
  ]),
);
const tags = (t: Record<string, string>) => Object.entries(t).map(([Key, Value]) => ({ Key, Value }));
const instance = (id: string, environmentId: string, image: string, launchedHoursAgo: number) => ({
  InstanceId: id,
  LaunchTime: hoursAgo(launchedHoursAgo),
  Tags: tags({ service: 'orders', 'vouch:environment-id': environmentId, 'vouch:image-id': image }),
});
const ami = (image: string, hours: number, version: number) => ({
  ImageId: `ami-${image}`,
  CreationDate: hoursAgo(hours).toISOString(),
  Tags: tags({ service: 'orders', 'vouch:image-id': image, version: String(version) }),
  BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: `snap-${image}` } }],
});
const created = (h: number) => `vouch:${JSON.stringify({ created: hoursAgo(h).toISOString() })}`;
const COMMIT = { ended: '7'.repeat(40), live: '5'.repeat(40) };
const builder = (id: string, commit: string) => ({
  InstanceId: id,
  LaunchTime: hoursAgo(2),
  Tags: tags({
    service: 'orders',
    environment: 'build',
    'vouch:role': 'builder',
    commit,
    'vouch:image-id': id,
  }),
});
const RUN_BOTS = 'vouch-run-bots';
/** A run's bot schedule as runBotSchedules.ts creates it: the environment's prefix, its evidence key in the input. */
const botSchedule = (service: string, runKey: string, hours: number) => ({
  Name: `${runBotSchedulePrefix(`${service}.test.${runKey}`)}browse`,
  CreationDate: hoursAgo(hours),
  input: JSON.stringify({ service, environment: `test-${runKey}`, baseUrl: 'https://x.example.com' }),
});

/** A run's alarm as provision puts it (runAlarms.ts): named after its evidence key, tagged with its environment id. */
const runAlarm = (service: string, runKey: string, hours: number) => ({
  AlarmName: `vouch.${service}.test-${runKey}.latency`,
  AlarmArn: `arn:aws:cloudwatch:eu-west-1:111122223333:alarm:vouch.${service}.test-${runKey}.latency`,
  AlarmConfigurationUpdatedTimestamp: hoursAgo(hours),
  environmentId: `${service}.test.${runKey}`,
});

/**
 * The account as interrupted runs leave it. orders (EC2): run `ended` (still RUNNING in the table,
 * its execution gone) left its test environment on img-7; run `live` runs, on img-8, and baked img-1
 * (version 5); qa serves img-2 and has a canary the ended run left under its lock. orders-fn (Lambda):
 * run `fn-ended` left its test alias on version 4; run `fn-live` runs on 5 and published 6 since.
 */
function seedAccount() {
  // The environments' instances by their tag key; the bakes' builders by their role tag.
  ec2.on(DescribeInstancesCommand).callsFake((input: DescribeInstancesCommandInput) => ({
    Reservations: [
      {
        Instances:
          input.Filters?.[0]?.Name === 'tag:vouch:role'
            ? [
                builder('i-bake-ended', COMMIT.ended),
                builder('i-bake-live', COMMIT.live),
                // Launched outside a run (no commit tag): nobody's to judge, never inventoried.
                {
                  ...builder('i-bake-manual', ''),
                  Tags: tags({ service: 'orders', 'vouch:role': 'builder' }),
                },
              ]
            : [
                instance('i-ended', 'orders.test.ended', 'img-7', 2),
                instance('i-live', 'orders.test.live', 'img-8', 2),
                instance('i-qa', 'orders.qa', 'img-2', 50),
              ],
      },
    ],
  }));
  ec2.on(DescribeImagesCommand).resolves({
    Images: [
      ami('img-1', 30, 5),
      ami('img-2', 20, 2),
      ami('img-3', 10, 3),
      ami('img-7', 5, 7),
      ami('img-8', 4, 8),
      ami('img-9', 3, 9),
    ],
  });
  elb.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [] });
  sfn
    .on(DescribeExecutionCommand)
    .rejects(new ExecutionDoesNotExist({ message: 'gone', $metadata: {} }))
    .on(DescribeExecutionCommand, {
      executionArn: `${MACHINES['ec2-canary'].replace(':stateMachine:', ':execution:')}:live`,
    })
    .resolves({ status: 'RUNNING' })
    .on(DescribeExecutionCommand, {
      executionArn: `${MACHINES['lambda-canary'].replace(':stateMachine:', ':execution:')}:fn-live`,
    })
    .resolves({ status: 'RUNNING' });
  lambda.on(ListAliasesCommand).resolves({
    Aliases: [
      { Name: 'qa', FunctionVersion: '1' },
      { Name: 'test-fn-ended', FunctionVersion: '4', Description: created(3) },
      { Name: 'test-fn-live', FunctionVersion: '5', Description: created(2) },
    ],
  });
  lambda.on(ListVersionsByFunctionCommand).resolves({
    Versions: [
      { Version: '$LATEST', LastModified: lambdaTime(0.5) },
      ...[1, 2, 3, 4, 5, 6].map((v) => ({ Version: String(v), LastModified: lambdaTime(10 - v) })),
    ],
  });
  // Run-bots schedules: the ended environment's (removed with it), the running alias's, and two whose
  // environment is gone: run `gone`'s, an hour old, and run `new`'s, 5 minutes old.
  const schedules = [
    botSchedule('orders', 'ended', 2),
    botSchedule('orders-fn', 'fn-live', 2),
    botSchedule('orders', 'gone', 1),
    botSchedule('orders', 'new', 5 / 60),
  ];
  scheduler.on(ListSchedulesCommand).resolves({
    Schedules: schedules.map((s) => ({ Name: s.Name, GroupName: RUN_BOTS, CreationDate: s.CreationDate })),
  });
  scheduler.on(GetScheduleCommand).callsFake((input: { Name: string }) => ({
    Name: input.Name,
    Target: {
      Arn: 'arn:bot',
      RoleArn: 'arn:role',
      Input: schedules.find((s) => s.Name === input.Name)?.input,
    },
  }));
  scheduler.on(DeleteScheduleCommand).resolves({});
  ec2.on(TerminateInstancesCommand).resolves({});
  // Per-run alarms, likewise: the ended environment's (removed with it), the running alias's, run
  // `gone`'s, an hour old, and run `new`'s, 5 minutes old.
  const alarms = [
    runAlarm('orders', 'ended', 2),
    runAlarm('orders-fn', 'fn-live', 2),
    runAlarm('orders', 'gone', 1),
    runAlarm('orders', 'new', 5 / 60),
  ];
  cloudWatch.on(DescribeAlarmsCommand).callsFake((input: { AlarmNamePrefix: string }) => ({
    MetricAlarms: alarms
      .filter((a) => a.AlarmName.startsWith(input.AlarmNamePrefix))
      .map(({ environmentId: _tag, ...a }) => a),
  }));
  cloudWatch.on(ListTagsForResourceCommand).callsFake((input: { ResourceARN: string }) => ({
    Tags: [
      {
        Key: 'vouch:environment-id',
        Value: alarms.find((a) => a.AlarmArn === input.ResourceARN)?.environmentId ?? '',
      },
    ],
  }));
  cloudWatch.on(DeleteAlarmsCommand).resolves({});
}

function sweepDeps(overrides: Partial<AwsSweepPortsDeps> = {}) {
  const order: string[] = [];
  const rollback = vi.fn(async ({ id }: { id: string }) => {
    order.push(`rollback ${id}`);
    return {} as EnvironmentDescription;
  });
  const canaryTarget = {
    rollback,
    describe: vi.fn(async ({ id }: { id: string }): Promise<EnvironmentDescription> => {
      if (id !== 'orders.qa') throw new EnvironmentNotFoundError(id);
      const since = hoursAgo(1).toISOString();
      return {
        environment: {
          id,
          service: 'orders',
          name: 'qa',
          ephemeral: false,
          tags: { service: 'orders', team: 'checkout', solution: 'shop' },
          proxyUrl: 'https://qa.example.com',
          createdAt: hoursAgo(100).toISOString(),
        },
        baseline: { image: 'img-2', version: '2', url: 'http://b', since },
        canary: { image: 'img-9', version: '9', url: 'http://c', since },
        weight: 20,
        proxyUrl: 'https://qa.example.com',
      };
    }),
  };
  const running: Record<
    string,
    { execution: string; version: number; commit: string; allocatedAt: string }[]
  > = {
    orders: [
      { execution: 'ended', version: 7, commit: COMMIT.ended, allocatedAt: hoursAgo(3).toISOString() },
      { execution: 'live', version: 5, commit: COMMIT.live, allocatedAt: hoursAgo(31).toISOString() },
    ],
    'orders-fn': [
      { execution: 'fn-live', version: 6, commit: '6'.repeat(40), allocatedAt: hoursAgo(4.5).toISOString() },
    ],
  };
  const records: unknown[] = [];
  const deps: AwsSweepPortsDeps = {
    ec2: new EC2Client({ region: 'eu-west-1' }),
    elb: new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }),
    destroyEnvironment: vi.fn(async (id: string) => {
      order.push(`destroy ${id}`);
    }),
    stopRunExtras: vi.fn(async (id: string) => {
      order.push(`extras ${id}`);
    }),
    lambda: {
      client: new LambdaClient({ region: 'eu-west-1' }),
      services: [{ service: 'orders-fn', functionName: 'orders-fn', ephemeralEnvironments: ['test'] }],
    },
    canaries: {
      targetOf: () => canaryTarget,
      lockHolder: async (service, environment) =>
        service === 'orders' && environment === 'qa' ? 'ended' : undefined,
    },
    botSchedules: { scheduler: new SchedulerClient({ region: 'eu-west-1' }), groupName: RUN_BOTS },
    runAlarms: { cloudWatch: new CloudWatchClient({ region: 'eu-west-1' }) },
    builds: { listRunningBuilds: async (service) => running[service] ?? [] },
    sfn: new SFNClient({ region: 'eu-west-1' }),
    stateMachines: MACHINES,
    services: SERVICES,
    record: async (report) => {
      records.push(report);
    },
    now: () => NOW,
    ...overrides,
  };
  return { deps, order, rollback, records };
}

describe('awsSweepPorts', () => {
  it('removes every leftover of the ended runs and keeps what running runs own, what serves and the newest image', async () => {
    // Prepare
    seedAccount();
    lambda.on(DeleteFunctionUrlConfigCommand).resolves({});
    lambda.on(DeleteAliasCommand).callsFake(async (input: { Name: string }) => {
      order.push(`delete alias ${input.Name}`);
      return {};
    });
    lambda.on(DeleteFunctionCommand).resolves({});
    ec2.on(DeregisterImageCommand).resolves({});
    ec2.on(DeleteSnapshotCommand).resolves({});
    const { deps, order, records } = sweepDeps();

    // Act
    const report = await sweep(awsSweepPorts(deps), { keepImages: 1 });

    // Assess: what went, with its reason.
    expect(report.failed).toEqual([]);
    expect(report.removed.map((d) => `${d.resource.kind} ${d.resource.id}: ${d.reason}`).sort()).toEqual([
      'alarm vouch.orders.test-gone.latency: its run gone ended',
      'alias orders-fn:test-fn-ended: its run fn-ended ended',
      'builder i-bake-ended: no running run of orders releases its commit 777777777777',
      'canary orders.qa: its run ended ended',
      'environment orders.test.ended: its run ended ended',
      'functionVersion orders-fn:2: older than the 1 newest images of orders-fn',
      'functionVersion orders-fn:3: older than the 1 newest images of orders-fn',
      'image img-3: older than the 1 newest images of orders',
      'image img-7: older than the 1 newest images of orders',
      `schedule ${botSchedule('orders', 'gone', 1).Name}: its run gone ended`,
    ]);
    // Kept: the running runs' environment and alias; of orders' AMIs qa's baseline (img-2), what
    // the running run baked (img-1, version 5), what its kept environment runs (img-8) and the newest
    // besides (img-9: the rolled-back canary's, in use only while the canary is kept); of orders-fn's
    // versions qa's (1), the running alias's (5), one published since fn-live began (6) and the
    // newest besides (4: only the removed alias ran it).
    // And the running run's builder, and run `new`'s schedule and alarm (within the grace period).
    expect(report.kept).toBe(2 + 4 + 4 + 3);
    // A test alias goes after its environment's bots and alarms; an EC2 environment by the destroy path.
    expect(order).toEqual([
      'destroy orders.test.ended',
      'extras orders-fn.test.fn-ended',
      'delete alias test-fn-ended',
      'rollback orders.qa',
    ]);
    expect(lambda).toReceiveCommandWith(DeleteFunctionUrlConfigCommand, {
      FunctionName: 'orders-fn',
      Qualifier: 'test-fn-ended',
    });
    expect(
      lambda
        .commandCalls(DeleteFunctionCommand)
        .map((c) => c.args[0].input.Qualifier)
        .sort(),
    ).toEqual(['2', '3']);
    // An AMI goes with its snapshots.
    expect(
      ec2
        .commandCalls(DeregisterImageCommand)
        .map((c) => c.args[0].input.ImageId)
        .sort(),
    ).toEqual(['ami-img-3', 'ami-img-7']);
    expect(
      ec2
        .commandCalls(DeleteSnapshotCommand)
        .map((c) => c.args[0].input.SnapshotId)
        .sort(),
    ).toEqual(['snap-img-3', 'snap-img-7']);
    // The ended run's builder is terminated (not the running run's, nor the one without a commit); the orphaned schedule deleted from the run-bots group; the present
    // environments' schedules were not even read (they go or stay with their environment).
    expect(ec2).toReceiveCommandWith(TerminateInstancesCommand, { InstanceIds: ['i-bake-ended'] });
    expect(ec2).toReceiveCommandTimes(TerminateInstancesCommand, 1);
    expect(scheduler.commandCalls(DeleteScheduleCommand).map((c) => c.args[0].input)).toEqual([
      { Name: botSchedule('orders', 'gone', 1).Name, GroupName: RUN_BOTS },
    ]);
    expect(scheduler.commandCalls(GetScheduleCommand).map((c) => c.args[0].input.Name)).toEqual([
      botSchedule('orders', 'gone', 1).Name,
      botSchedule('orders', 'new', 1).Name,
    ]);
    // Likewise the orphaned alarm deleted, the present environments' not even read.
    expect(cloudWatch.commandCalls(DeleteAlarmsCommand).map((c) => c.args[0].input)).toEqual([
      { AlarmNames: ['vouch.orders.test-gone.latency'] },
    ]);
    expect(
      cloudWatch.commandCalls(ListTagsForResourceCommand).map((c) => c.args[0].input.ResourceARN),
    ).toEqual([runAlarm('orders', 'gone', 1).AlarmArn, runAlarm('orders', 'new', 1).AlarmArn]);
    expect(records).toEqual([report]);
  });

  it('reports a removal that failed and still removes the rest', async () => {
    // Prepare: the role may not deregister img-7 (say its tag was edited by hand).
    seedAccount();
    lambda.on(DeleteFunctionUrlConfigCommand).resolves({});
    lambda.on(DeleteAliasCommand).resolves({});
    lambda.on(DeleteFunctionCommand).resolves({});
    const denied = new Error('not authorized to perform: ec2:DeregisterImage');
    ec2
      .on(DeregisterImageCommand)
      .resolves({})
      .on(DeregisterImageCommand, { ImageId: 'ami-img-7' })
      .rejects(denied);
    ec2.on(DeleteSnapshotCommand).resolves({});
    const { deps } = sweepDeps();

    // Act
    const report = await sweep(awsSweepPorts(deps), { keepImages: 1 });

    // Assess: img-7 failed and kept its snapshot; everything else went.
    expect(report.failed.map((f) => [f.resource.id, f.error])).toEqual([['img-7', denied.message]]);
    expect(report.removed).toHaveLength(9);
    expect(ec2.commandCalls(DeleteSnapshotCommand).map((c) => c.args[0].input.SnapshotId)).toEqual([
      'snap-img-3',
    ]);
  });

  it('sees a service without Lambda functions as having no aliases, and refuses to remove one', async () => {
    // Prepare
    seedAccount();
    const { deps } = sweepDeps();
    const { lambda: _configured, ...withoutLambda } = deps;
    const ports = awsSweepPorts(withoutLambda);
    const alias = {
      kind: 'alias' as const,
      id: 'orders-fn:test-x',
      service: 'orders-fn',
      environment: 'test',
      runKey: 'x',
      createdAt: hoursAgo(2).toISOString(),
    };

    // Act
    const found = await ports.inventory();

    // Assess
    expect(found.filter((r) => r.kind === 'alias' || r.kind === 'functionVersion')).toEqual([]);
    expect(lambda.calls()).toHaveLength(0);
    await expect(ports.remove(alias)).rejects.toThrow(SweepError);
  });

  it('refuses to remove a test alias that names no environment and run (its bots could not be found)', async () => {
    // Prepare
    const { deps } = sweepDeps();
    const ports = awsSweepPorts(deps);

    // Act / Assess
    await expect(
      ports.remove({
        kind: 'alias',
        id: 'orders-fn:test-x',
        service: 'orders-fn',
        createdAt: NOW.toISOString(),
      }),
    ).rejects.toThrow(/names no environment and run/);
    expect(deps.stopRunExtras).not.toHaveBeenCalled();
    expect(lambda.calls()).toHaveLength(0);
  });
});
