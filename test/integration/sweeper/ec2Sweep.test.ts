import {
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { executionArnOf } from '../../../lambdas/adapters/aws/reconcile/deployedReconcile.ts';
import { ec2SweepPorts } from '../../../lambdas/adapters/aws/sweeper/ec2Sweep.ts';
import { ephemeralTargetGroupNames } from '../../../lambdas/adapters/aws/target/Ec2DeployTarget.ts';
import { BuildRepository } from '../../../lambdas/adapters/dynamo/buildRepository.ts';
import { type LocalTable, startLocalTable } from '../../../lambdas/adapters/local/dynalite.ts';
import { sweep, sweepRecordsByService } from '../../../lambdas/core/sweeper/sweep.ts';

/**
 * The scheduled sweeper's EC2 path (lambdas/adapters/aws/sweeper/ec2Sweep.ts): the build table on
 * dynalite (which runs are RUNNING, where the sweep is recorded), EC2, ELBv2 and Step Functions mocked
 * with what the EC2 target leaves tagged after runs that were stopped.
 */
const ec2 = mockClient(EC2Client);
const elb = mockClient(ElasticLoadBalancingV2Client);
const sfn = mockClient(SFNClient);
afterEach(() => {
  ec2.reset();
  elb.reset();
  sfn.reset();
});

const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:vouch-ec2-canary';
const NOW = new Date('2026-12-02T10:00:00Z');
const commit = (n: number) => String(n).repeat(40).slice(0, 40);
const tags = (map: Record<string, string>) => Object.entries(map).map(([Key, Value]) => ({ Key, Value }));
const cost = { service: 'orders', team: 'checkout', solution: 'webshop' };

/** Two target groups per test environment, tagged as provision tags them. */
function targetGroupsOf(environmentId: string, createdAt: string) {
  const names = ephemeralTargetGroupNames(environmentId);
  return (['a', 'b'] as const).map((slot) => ({
    name: names[slot],
    arn: `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/${names[slot]}/${slot}1`,
    tags: tags({
      ...cost,
      environment: 'test',
      'vouch:environment-id': environmentId,
      'vouch:created-at': createdAt,
      'vouch:slot': slot === 'a' ? 'baseline' : 'canary',
    }),
  }));
}

function instance(id: string, environmentId: string, imageId: string) {
  return {
    InstanceId: id,
    LaunchTime: new Date('2026-12-02T09:05:00Z'),
    Tags: tags({ ...cost, 'vouch:environment-id': environmentId, 'vouch:image-id': imageId }),
  };
}

/** AMI n: image id `img<n>`, version n, baked n hours before 09:00, one snapshot. */
function ami(n: number) {
  return {
    ImageId: `ami-${n}`,
    CreationDate: new Date(Date.parse('2026-12-02T09:00:00Z') - (6 - n) * 3_600_000).toISOString(),
    BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: `snap-${n}` } }],
    Tags: tags({ ...cost, 'vouch:image-id': `img${n}`, version: String(n) }),
  };
}

describe('the scheduled sweeper on EC2', () => {
  let table: LocalTable;
  let repo: BuildRepository;

  beforeAll(async () => {
    table = await startLocalTable();
    repo = new BuildRepository({ client: table.client, tableName: table.tableName, now: () => NOW });
    await repo.registerService({
      service: 'orders',
      team: 'checkout',
      solution: 'webshop',
      repo: 'org/orders',
    });
  }, 60_000);
  afterAll(async () => {
    await table?.close();
  });

  it('removes stopped runs’ environments and images beyond the newest N, keeps what serves and what a running run owns, records it', async () => {
    // Prepare: runs 1-5 of orders; v3 still runs (its execution is RUNNING), v4 and v5 were stopped
    // (their builds still RUNNING in the table: the reconciler has not come by yet).
    for (const n of [1, 2, 3, 4, 5]) {
      const execution = `run-${n}`;
      const { version } = await repo.allocateVersion({ service: 'orders', commit: commit(n), execution });
      await repo.recordRunStarted({
        service: 'orders',
        version,
        commit: commit(n),
        execution,
        pipeShape: {},
      });
    }
    sfn.on(DescribeExecutionCommand).resolves({ status: 'ABORTED' });
    sfn
      .on(DescribeExecutionCommand, { executionArn: executionArnOf(MACHINE, 'run-3') })
      .resolves({ status: 'RUNNING' });
    // Run 3's test environment is provisioned, not deployed yet (its image is not running anywhere);
    // run 4's was deployed; run 5's instance is all that is left (its groups were deleted).
    const groups = [
      ...targetGroupsOf('orders.test.run-3', '2026-12-02T09:00:00Z'),
      ...targetGroupsOf('orders.test.run-4', '2026-12-02T09:00:00Z'),
    ];
    elb.on(DescribeTargetGroupsCommand).resolves({
      TargetGroups: [
        ...groups.map((g) => ({ TargetGroupName: g.name, TargetGroupArn: g.arn })),
        // qa's groups are the service stack's: not `vouch-*`, never per run.
        {
          TargetGroupName: 'orders-qa-a',
          TargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/orders-qa-a/q',
        },
      ],
    });
    elb.on(DescribeTagsCommand).callsFake((input: { ResourceArns: string[] }) => ({
      TagDescriptions: input.ResourceArns.map((arn) => ({
        ResourceArn: arn,
        Tags: groups.find((g) => g.arn === arn)?.tags ?? [],
      })),
    }));
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        { Instances: [instance('i-qa', 'orders.qa', 'img2')] },
        {
          Instances: [
            instance('i-4', 'orders.test.run-4', 'img4'),
            instance('i-5', 'orders.test.run-5', 'img5'),
          ],
        },
      ],
    });
    ec2.on(DescribeImagesCommand).resolves({ Images: [1, 2, 3, 4, 5].map(ami) });
    const destroyed: string[] = [];

    // Act
    const report = await sweep(
      ec2SweepPorts({
        ec2: new EC2Client({ region: 'eu-west-1' }),
        elb: new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }),
        destroyEnvironment: async (id) => {
          destroyed.push(id);
        },
        builds: repo,
        sfn: new SFNClient({ region: 'eu-west-1' }),
        stateMachines: { 'ec2-canary': MACHINE },
        services: [{ service: 'orders', team: 'checkout', flavour: 'ec2-canary', environments: [] }],
        record: async (r) => {
          for (const record of sweepRecordsByService(r)) await repo.recordSweep(record);
        },
        now: () => NOW,
      }),
      { keepImages: 1 },
    );

    // Assess: the stopped runs' environments went; run 3's did not.
    expect(report.failed).toEqual([]);
    expect(destroyed.sort()).toEqual(['orders.test.run-4', 'orders.test.run-5']);
    // img5 is the newest; img2 serves qa; img3 was baked by the running run 3. img1 and img4 go, each
    // deregistered, then its snapshot deleted.
    expect(
      ec2
        .commandCalls(DeregisterImageCommand)
        .map((c) => c.args[0].input.ImageId)
        .sort(),
    ).toEqual(['ami-1', 'ami-4']);
    expect(
      ec2
        .commandCalls(DeleteSnapshotCommand)
        .map((c) => c.args[0].input.SnapshotId)
        .sort(),
    ).toEqual(['snap-1', 'snap-4']);
    const kept = new Map(report.removed.map((d) => [d.resource.id, d.reason]));
    expect([...kept.keys()].sort()).toEqual(['img1', 'img4', 'orders.test.run-4', 'orders.test.run-5']);
    // Recorded in the service's partition.
    const [recorded] = await repo.listSweeps('orders');
    expect(recorded?.at).toBe(NOW.toISOString());
    expect(recorded?.removed.map((r) => r.id).sort()).toEqual([...kept.keys()].sort());
    expect(recorded?.removed.find((r) => r.id === 'orders.test.run-5')).toMatchObject({
      kind: 'environment',
      environment: 'test',
      runKey: 'run-5',
      reason: 'its run run-5 ended',
    });
  });

  it('sweeps nothing of a run whose resources are younger than the grace period, even if its execution is unknown', async () => {
    // Prepare: a test environment made a minute ago by a run the table does not have yet.
    const groups = targetGroupsOf('orders.test.run-new', new Date(NOW.getTime() - 60_000).toISOString());
    elb.on(DescribeTargetGroupsCommand).resolves({
      TargetGroups: groups.map((g) => ({ TargetGroupName: g.name, TargetGroupArn: g.arn })),
    });
    elb
      .on(DescribeTagsCommand)
      .resolves({ TagDescriptions: groups.map((g) => ({ ResourceArn: g.arn, Tags: g.tags })) });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    ec2.on(DescribeImagesCommand).resolves({ Images: [] });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'ABORTED' });
    const destroyed: string[] = [];
    // Act
    const report = await sweep(
      ec2SweepPorts({
        ec2: new EC2Client({ region: 'eu-west-1' }),
        elb: new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }),
        destroyEnvironment: async (id) => {
          destroyed.push(id);
        },
        builds: repo,
        sfn: new SFNClient({ region: 'eu-west-1' }),
        stateMachines: { 'ec2-canary': MACHINE },
        services: [{ service: 'orders', team: 'checkout', flavour: 'ec2-canary', environments: [] }],
        record: async () => {},
        now: () => NOW,
      }),
    );
    // Assess
    expect(report.removed).toEqual([]);
    expect(destroyed).toEqual([]);
  });
});
