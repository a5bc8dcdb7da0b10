// The fault list of issue 13 on the twin: each fault is an answer AWS really gives, armed through
// `twin.faults` (lambdas/twin/faults.ts) in the twin's SDK path or Lambda service, never in the product.
// For each, the run ends on its own (no unbounded wait), cleans up (test environment destroyed,
// rollback where it deployed, locks released), records the failure and tells the team in Slack through
// SNS -> notifier; assertNothingLeft then finds nothing of the run but its image.
import { describe, expect, it } from 'vitest';
import { wallSleep } from '../../lambdas/twin/clock.ts';
import type { TwinExecution } from '../../lambdas/twin/stepFunctions.ts';
import type { Twin, TwinOptions } from '../../lambdas/twin/TwinPlatform.ts';
import { assertNothingLeft, type RunLeftovers } from './support/nothingLeft.ts';
import { ordersRunInput, useExampleTwin } from './support/twinFixture.ts';

const example = useExampleTwin();

/** The story's release 1 commit: instances run examples/orders for it. */
const COMMIT = '1'.repeat(40);
const SOURCES = new Map([
  [COMMIT, ['examples/orders'].map((d) => new URL(`../../${d}`, import.meta.url).pathname)],
]);

/**
 * A twin where a run is short: x5 (a task Lambda's 30 s timeout is 6 s of wall time: at x10 a 2-core
 * machine loaded by other test runs timed report and unlock out, and the bots' latency budgets
 * failed), builders and images in 20 s of twin time.
 */
async function startFaultTwin(options: TwinOptions = {}): Promise<Twin> {
  const twin = await example.start({
    timeScale: 5,
    commitSources: SOURCES,
    ec2Timings: { bootMs: 10_000, builderRunMs: 20_000, imageMs: 20_000 },
    ...options,
  });
  twin.scheduler.start();
  return twin;
}

/**
 * Starts a run of the example service releasing to `releaseTo` after its test environment (as a
 * `.vouch.yml` listing only those lasting environments would): fewer environments, shorter tests.
 */
function startRun(twin: Twin, execution: string, releaseTo: readonly string[] = []): TwinExecution {
  const machine = twin.stepFunctions.machine('vouch-ec2-canary');
  const input = ordersRunInput(COMMIT, execution);
  const config = input.config as { releaseEnvironments: { name: string }[] };
  const releaseEnvironments = config.releaseEnvironments.filter((e) => releaseTo.includes(e.name));
  return twin.stepFunctions.start(machine.arn, execution, {
    ...input,
    config: { ...input.config, releaseEnvironments },
  });
}

/** Waits for the run to end, bounded in wall time: a run that does not end fails the test. */
async function ended(twin: Twin, run: TwinExecution, wallMs: number): Promise<void> {
  const bounded = await Promise.race([
    run.done.then(
      () => true,
      () => true,
    ),
    wallSleep(wallMs).then(() => false),
  ]);
  twin.scheduler.stop();
  await twin.lambdas.settled();
  expect(bounded, `${run.name} still ${run.status} after ${wallMs} ms of wall time`).toBe(true);
}

const states = (run: TwinExecution, type: string) =>
  run.events.filter((e) => e.type === type).map((e) => (e.error ? `${e.state}: ${e.error}` : e.state));

/** What every failed run must show: recorded FAILED, cleanup ran, the team told in Slack, nothing left. */
async function assertFailedCleanly(
  twin: Twin,
  run: TwinExecution,
  fault: RegExp,
  knownDefects: Partial<RunLeftovers> = {},
): Promise<void> {
  expect(run.status).toBe('FAILED');
  expect(run.error).toMatch(fault);
  const entered = states(run, 'StateEntered');
  expect(['destroy-test', 'release-locks', 'report', 'notify'].filter((s) => !entered.includes(s))).toEqual(
    [],
  );
  const build = await twin.builds.getBuild('orders', 1);
  expect(build).toMatchObject({ status: 'FAILED', execution: run.name });
  expect(twin.sns.published.length).toBeGreaterThan(0);
  expect(twin.slack.messages.filter((m) => /orders/.test(m.text) && /fail/i.test(m.text))).not.toEqual([]);
  await assertNothingLeft(twin, { service: 'orders', execution: run.name }, knownDefects);
}

describe('faults on the twin', () => {
  it('throttling that outlasted the SDK’s retries (DynamoDB, EC2, ELB) is absorbed by the states’ Retry: the run succeeds', async () => {
    // Prepare: the version's allocation, the builder's launch and the test environment's first target
    // group are each throttled once.
    const twin = await startFaultTwin();
    twin.faults.throttle('dynamodb', 'Update', 1);
    twin.faults.throttle('ec2', 'RunInstances', 1);
    twin.faults.throttle('elasticloadbalancing', 'CreateTargetGroup', 1);

    // Act
    const run = startRun(twin, 'twin-fault-throttle');
    await ended(twin, run, 400_000);

    // Assess: each throttled state was retried and the run went on to succeed, leaving nothing.
    const faulted = twin.sdk.calls.filter((c) => c.outcome.startsWith('fault')).map((c) => c.outcome);
    expect(faulted.sort()).toEqual([
      'fault RequestLimitExceeded',
      'fault ThrottlingException',
      'fault ThrottlingException',
    ]);
    expect(states(run, 'StateFailed')).toEqual([
      'version: BuildDataThrottledError',
      'bake: RequestLimitExceeded',
      'provision-test: ThrottlingException',
    ]);
    expect({ status: run.status, error: run.error }).toEqual({ status: 'SUCCEEDED', error: undefined });
    expect(await twin.builds.getBuild('orders', 1)).toMatchObject({ status: 'SUCCEEDED' });
    await assertNothingLeft(twin, { service: 'orders', execution: run.name });
  }, 450_000);

  it('InsufficientInstanceCapacity at the qa deploy: qa is rolled back and unlocked, the test environment destroyed, the team told', async () => {
    // Prepare: EC2 has no capacity for qa's instances (the builder and the test environment launch).
    const twin = await startFaultTwin();
    twin.faults.insufficientCapacity(100, (input) =>
      JSON.stringify(input.TagSpecifications).includes('"qa"'),
    );

    // Act
    const run = startRun(twin, 'twin-fault-capacity', ['qa']);
    await ended(twin, run, 450_000);

    // Assess
    expect(states(run, 'StateFailed')).toContain('deploy-canary: InsufficientInstanceCapacity');
    expect(states(run, 'StateEntered')).toEqual(
      expect.arrayContaining(['rollback', 'unlock-after-rollback']),
    );
    expect(await twin.builds.findLock('orders', 'qa')).toBeUndefined();
    await assertFailedCleanly(twin, run, /InsufficientInstanceCapacity/);
  }, 500_000);

  it('a task Lambda past its template Timeout (verify, 60 s, stalled on CreateSchedule): retried, then the run fails cleanly', async () => {
    // Prepare: every window-end CreateSchedule hangs for 90 s: the verify Lambda (Timeout 60) is ended
    // by Lambda each time.
    const twin = await startFaultTwin();
    const verify = twin.lambdas.byEntry('lambdas/handlers/tasks/verify.ts');
    expect(verify.timeoutSeconds).toBe(60);
    twin.faults.stall('scheduler', 'CreateSchedule', 90_000, 100);

    // Act
    const run = startRun(twin, 'twin-fault-timeout');
    await ended(twin, run, 400_000);

    // Assess: the first attempt and both retries timed out (Lambda's error, Sandbox.Timedout), and no
    // attempt left its window OPEN (the window-end schedule is created before the window is recorded).
    const failed = states(run, 'StateFailed');
    expect(
      failed.filter((s) => s === 'verify-test: Sandbox.Timedout'),
      failed.join(', '),
    ).toHaveLength(3);
    await assertFailedCleanly(twin, run, /Sandbox\.Timedout/);
  }, 450_000);

  it('a waiter deadline (the image not available within bake’s wait): WaiterTimeoutError, retried, then the run fails cleanly but for its builder', async () => {
    // Prepare: images take an hour, bake waits six minutes for one (adapters/aws/target/config.ts).
    const twin = await startFaultTwin({
      timeScale: 20,
      ec2Timings: { bootMs: 10_000, builderRunMs: 20_000, imageMs: 3_600_000 },
    });

    // Act
    const run = startRun(twin, 'twin-fault-waiter');
    await ended(twin, run, 150_000);

    // Assess: the wait gave up three times (a retry resumes the same wait), then the run failed.
    expect(states(run, 'StateFailed').filter((s) => s === 'bake: WaiterTimeoutError')).toHaveLength(3);
    // DEFECT found here, not fixed yet: the stopped builder is left. Bake terminates it only once the
    // image is available, and destroy-test knows the test environment's instances, not the builder.
    // When bake (or the run's cleanup) terminates it, this fails: then drop `knownDefects`.
    const builders = [...twin.ec2.instances.values()].filter(
      (i) => i.builder && i.terminatedAt === undefined,
    );
    expect(builders).toHaveLength(1);
    await assertFailedCleanly(twin, run, /WaiterTimeoutError/, { instances: builders.map((b) => b.id) });
  }, 200_000);

  it('a CodeBuild build that fails before post_build: the heartbeat ends the wait (States.HeartbeatTimeout), the run fails cleanly', async () => {
    // Prepare: CodeBuild cannot fetch the source (no folder for the repository): DOWNLOAD_SOURCE fails,
    // no phase runs, nobody sends the token or a heartbeat. x25: HeartbeatSeconds (600) is 24 s of wall time.
    const twin = await startFaultTwin({ timeScale: 25, sources: {} });

    // Act
    const run = startRun(twin, 'twin-fault-build');
    await ended(twin, run, 90_000);

    // Assess
    expect(twin.codeBuild.builds[0]?.phases).toEqual([{ name: 'DOWNLOAD_SOURCE', status: 'FAILED' }]);
    expect(states(run, 'StateFailed')).toContain('build: States.HeartbeatTimeout');
    await assertFailedCleanly(twin, run, /States\.HeartbeatTimeout/);
  }, 150_000);
});
