import { DeleteScheduleCommand, ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ReconcileIncompleteError } from '../../../lambdas/adapters/aws/errors.ts';
import {
  runBotSchedulePrefix,
  runBotSchedules,
} from '../../../lambdas/adapters/aws/evidence/runBotSchedules.ts';
import { snsNotify } from '../../../lambdas/adapters/aws/pipeline/snsNotify.ts';
import {
  type DeployedReconcilePorts,
  executionArnOf,
  reconcileDeployedPlatform,
} from '../../../lambdas/adapters/aws/reconcile/deployedReconcile.ts';
import { BuildRepository } from '../../../lambdas/adapters/dynamo/buildRepository.ts';
import { type LocalTable, startLocalTable } from '../../../lambdas/adapters/local/dynalite.ts';
import { EnvironmentNotFoundError } from '../../../lambdas/core/target/errors.ts';
import type { EnvironmentDescription, EnvironmentRef } from '../../../lambdas/core/target/port.ts';

/**
 * The scheduled reconciler's path (lambdas/adapters/aws/reconcile): the build table on dynalite,
 * Step Functions, Scheduler and SNS mocked, a deploy target that records what it is asked.
 */
const sfn = mockClient(SFNClient);
const scheduler = mockClient(SchedulerClient);
const sns = mockClient(SNSClient);
afterEach(() => {
  sfn.reset();
  scheduler.reset();
  sns.reset();
});

const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:vouch-ec2-canary';
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:vouch-notifications';
const ENVIRONMENTS = [
  { name: 'test', ephemeral: true },
  { name: 'qa', ephemeral: false },
  { name: 'prod', ephemeral: false },
];
const commit = (n: number) => String(n).repeat(40).slice(0, 40);

/** What qa and prod serve, by environment id; destroy calls recorded. */
function recordingTarget(serving: Record<string, string | undefined>) {
  const destroyed: string[] = [];
  return {
    destroyed,
    target: {
      destroy: async (e: EnvironmentRef) => {
        destroyed.push(e.id);
      },
      describe: async (e: EnvironmentRef): Promise<EnvironmentDescription> => {
        if (!(e.id in serving)) throw new EnvironmentNotFoundError(e.id);
        const version = serving[e.id];
        return {
          environment: { id: e.id } as EnvironmentDescription['environment'],
          weight: 0,
          proxyUrl: 'https://x',
          ...(version ? { baseline: { image: 'ami-1', version, url: 'http://10.0.0.1', since: '' } } : {}),
        };
      },
    },
  };
}

describe('the scheduled reconciler on the build table', () => {
  let table: LocalTable;
  let repo: BuildRepository;

  beforeAll(async () => {
    table = await startLocalTable();
    repo = new BuildRepository({ client: table.client, tableName: table.tableName });
  }, 60_000);
  afterAll(async () => {
    await table?.close();
  });

  async function startRun(service: string, execution: string, n: number): Promise<number> {
    const { version } = await repo.allocateVersion({ service, commit: commit(n), execution });
    await repo.recordRunStarted({ service, version, commit: commit(n), execution, pipeShape: {} });
    return version;
  }

  function ports(target: DeployedReconcilePorts['target']): DeployedReconcilePorts {
    return {
      builds: repo,
      sfn: new SFNClient({ region: 'eu-west-1' }),
      stateMachines: { 'ec2-canary': MACHINE },
      target,
      environmentBots: runBotSchedules(new SchedulerClient({ region: 'eu-west-1' }), {
        groupName: 'vouch-run-bots',
      }),
      notify: snsNotify(new SNSClient({ region: 'eu-west-1' }), { topicArn: TOPIC }),
    };
  }

  it('ends a run whose execution was aborted: ABORTED, its lock released, its test environment and bots gone, the team told', async () => {
    // Prepare: v1 promoted to qa; v2's execution was stopped mid-release holding qa's lock.
    await repo.registerService({ service: 'orders', team: 'checkout', solution: 'webshop', repo: 'r' });
    const v1 = await startRun('orders', 'exec-1', 1);
    await repo.recordPromotion({
      service: 'orders',
      version: v1,
      environment: 'qa',
      kind: 'PROMOTED',
      evidence: {},
    });
    await repo.recordRunFinished({
      service: 'orders',
      version: v1,
      execution: 'exec-1',
      outcome: 'SUCCEEDED',
    });
    const v2 = await startRun('orders', 'exec-2', 2);
    await repo.acquireLock({ service: 'orders', environment: 'qa', owner: 'exec-2', ttlSeconds: 600 });
    sfn
      .on(DescribeExecutionCommand, { executionArn: executionArnOf(MACHINE, 'exec-2') })
      .resolves({ status: 'ABORTED' });
    const prefix = runBotSchedulePrefix('orders.test.exec-2');
    scheduler.on(ListSchedulesCommand).resolves({ Schedules: [{ Name: `${prefix}browse` }] });
    scheduler.on(DeleteScheduleCommand).resolves({});
    sns.on(PublishCommand).resolves({});
    const { target, destroyed } = recordingTarget({ 'orders.qa': String(v1) });

    // Act
    const [report] = await reconcileDeployedPlatform(
      [{ service: 'orders', team: 'checkout', flavour: 'ec2-canary', environments: ENVIRONMENTS }],
      ports(target),
    );

    // Assess
    expect(report?.aborted).toEqual([
      {
        execution: 'exec-2',
        version: v2,
        locksReleased: ['qa'],
        destroyed: ['orders.test.exec-2'],
        // This target launches no builders (terminateBuilders absent): none looked for.
        builders: [],
      },
    ]);
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, {
      executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:vouch-ec2-canary:exec-2',
    });
    expect((await repo.getBuild('orders', v2))?.status).toBe('ABORTED');
    expect(await repo.findLock('orders', 'qa')).toBeUndefined();
    expect(destroyed).toEqual(['orders.test.exec-2']);
    expect(scheduler).toHaveReceivedCommandWith(DeleteScheduleCommand, {
      Name: `${prefix}browse`,
      GroupName: 'vouch-run-bots',
    });
    // qa serves v1 as recorded; prod was never deployed and records nothing: no correction.
    expect(report?.corrected).toEqual([]);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    const message = JSON.parse(String(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message));
    expect(message).toMatchObject({ service: 'orders', team: 'checkout', event: 'RECONCILED' });
    expect(message.verdict.summary).toContain(`v${v2} (exec-2) was still RUNNING: ended ABORTED`);
  });

  it('leaves a running execution and what it holds alone, and stays quiet', async () => {
    // Prepare
    await repo.registerService({ service: 'cart', team: 'checkout', solution: 'webshop', repo: 'r' });
    const v = await startRun('cart', 'cart-live', 3);
    await repo.acquireLock({ service: 'cart', environment: 'qa', owner: 'cart-live', ttlSeconds: 600 });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    // Mid-promote: the target serves v before the record says so; the run will record it.
    const { target, destroyed } = recordingTarget({ 'cart.qa': String(v) });

    // Act
    const [report] = await reconcileDeployedPlatform(
      [{ service: 'cart', team: 'checkout', flavour: 'ec2-canary', environments: ENVIRONMENTS }],
      ports(target),
    );

    // Assess
    expect(report).toMatchObject({ aborted: [], locksReleased: [], corrected: [] });
    expect((await repo.getBuild('cart', v))?.status).toBe('RUNNING');
    expect((await repo.findLock('cart', 'qa'))?.owner).toBe('cart-live');
    expect(destroyed).toEqual([]);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
  });

  it('takes an execution Step Functions no longer knows as ended, and names a service whose flavour has no state machine', async () => {
    // Prepare
    await repo.registerService({ service: 'search', team: 'checkout', solution: 'webshop', repo: 'r' });
    const v = await startRun('search', 'search-old', 4);
    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'gone', $metadata: {} }));
    sns.on(PublishCommand).resolves({});
    scheduler.on(ListSchedulesCommand).resolves({ Schedules: [] });
    const { target } = recordingTarget({});

    // Act
    const run = reconcileDeployedPlatform(
      [
        { service: 'search', team: 'checkout', flavour: 'ec2-canary', environments: ENVIRONMENTS },
        { service: 'legacy', team: 'checkout', flavour: 'lambda-canary', environments: ENVIRONMENTS },
      ],
      ports(target),
    );

    // Assess: search is reconciled, legacy is named, and the call fails so the schedule shows it.
    await expect(run).rejects.toThrow(ReconcileIncompleteError);
    await expect(run).rejects.toThrow(/legacy: flavour lambda-canary has no state machine/);
    expect((await repo.getBuild('search', v))?.status).toBe('ABORTED');
  });

  it("asks a lambda-canary service's own target what its aliases serve, and destroys its run's test alias there", async () => {
    // Prepare: orders-fn's v1 runs in qa (its alias); v2's execution was aborted. The EC2 target has
    // no environment of orders-fn (no listener rule): asked, it would say qa serves nothing.
    await repo.registerService({ service: 'orders-fn', team: 'checkout', solution: 'webshop', repo: 'r' });
    const v1 = await startRun('orders-fn', 'fn-1', 5);
    await repo.recordPromotion({
      service: 'orders-fn',
      version: v1,
      environment: 'qa',
      kind: 'PROMOTED',
      evidence: {},
    });
    await repo.recordRunFinished({
      service: 'orders-fn',
      version: v1,
      execution: 'fn-1',
      outcome: 'SUCCEEDED',
    });
    const v2 = await startRun('orders-fn', 'fn-2', 6);
    sfn.on(DescribeExecutionCommand).resolves({ status: 'ABORTED' });
    scheduler.on(ListSchedulesCommand).resolves({ Schedules: [] });
    sns.on(PublishCommand).resolves({});
    const ec2 = recordingTarget({});
    const lambda = recordingTarget({ 'orders-fn.qa': String(v1) });

    // Act
    const [report] = await reconcileDeployedPlatform(
      [{ service: 'orders-fn', team: 'checkout', flavour: 'lambda-canary', environments: ENVIRONMENTS }],
      {
        ...ports(ec2.target),
        stateMachines: { 'ec2-canary': MACHINE, 'lambda-canary': `${MACHINE.replace('ec2', 'lambda')}` },
        targets: { 'lambda-canary': lambda.target },
      },
    );

    // Assess: qa's record stands (its alias serves v1); the run's test alias went through the Lambda target.
    expect(report?.corrected).toEqual([]);
    expect((await repo.whereRuns('orders-fn')).qa?.version).toBe(v1);
    expect(lambda.destroyed).toEqual(['orders-fn.test.fn-2']);
    expect(ec2.destroyed).toEqual([]);
    expect((await repo.getBuild('orders-fn', v2))?.status).toBe('ABORTED');
  });
});
