// The fault list of issue 13 on the twin: each fault is an answer AWS really gives, armed through
// `twin.faults` (lambdas/twin/faults.ts) in the twin's SDK path or Lambda service, never in the product.
// For each, the run ends on its own (no unbounded wait), cleans up (test environment destroyed,
// rollback where it deployed, locks released), records the failure and tells the team in Slack through
// SNS -> notifier; assertNothingLeft then finds nothing of the run but its image.
// This file: throttling, capacity, a build failing early; faultsTimeouts.test.ts: timeouts and deadlines.
import { describe, expect, it } from 'vitest';
import { assertFailedCleanly, ended, startFaultTwin, startRun, states } from './support/faultTwin.ts';
import { assertNothingLeft } from './support/nothingLeft.ts';
import { useExampleTwin } from './support/twinFixture.ts';

const example = useExampleTwin();

describe('faults on the twin', () => {
  it('throttling that outlasted the SDK’s retries (DynamoDB, EC2, ELB) is absorbed by the states’ Retry, and a window-end that failed by the window’s own timeout: the run succeeds', async () => {
    // Prepare: the version's allocation, the builder's launch and the test environment's first target
    // group are each throttled once; the test window's end fails every attempt (async, Lambda's two
    // retries too), so nothing resumes its token. (One run for both: a run costs minutes.)
    const twin = await startFaultTwin(example);
    twin.faults.throttle('dynamodb', 'Update', 1);
    twin.faults.throttle('ec2', 'RunInstances', 1);
    twin.faults.throttle('elasticloadbalancing', 'CreateTargetGroup', 1);
    twin.faults.failInvocations('lambdas/handlers/windowEnd.ts', 3);

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
    // The window waited its own length plus slack (90 + 120 s, not a day: the bounded wait above
    // fails otherwise), then decide closed it on its evidence.
    expect(states(run, 'StateFailed')).toEqual([
      'version: BuildDataThrottledError',
      'bake: RequestLimitExceeded',
      'provision-test: ThrottlingException',
      'verify-test: States.Timeout',
    ]);
    expect(twin.lambdas.asyncFailures.map((f) => `${f.function}: ${f.error}`)).toEqual([
      expect.stringMatching(/WindowEnd.*: Runtime\.ExitError$/),
    ]);
    expect(run.output).toMatchObject({
      out: { 'verify-test': { verdict: { outcome: 'PASSED', trigger: 'timeout' } } },
    });
    expect({ status: run.status, error: run.error }).toEqual({ status: 'SUCCEEDED', error: undefined });
    expect(await twin.builds.getBuild('orders', 1)).toMatchObject({ status: 'SUCCEEDED' });
    await assertNothingLeft(twin, { service: 'orders', execution: run.name });
  }, 450_000);

  it('InsufficientInstanceCapacity at the qa deploy: qa is rolled back and unlocked, the test environment destroyed, the team told', async () => {
    // Prepare: EC2 has no capacity for qa's instances (the builder and the test environment launch).
    const twin = await startFaultTwin(example);
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

  it('a CodeBuild build that fails before post_build: the heartbeat ends the wait (States.HeartbeatTimeout), the run fails cleanly', async () => {
    // Prepare: CodeBuild cannot fetch the source (no folder for the repository): DOWNLOAD_SOURCE fails,
    // no phase runs, nobody sends the token or a heartbeat. x25: HeartbeatSeconds (600) is 24 s of wall time.
    const twin = await startFaultTwin(example, { timeScale: 25, sources: {} });

    // Act
    const run = startRun(twin, 'twin-fault-build');
    await ended(twin, run, 90_000);

    // Assess
    expect(twin.codeBuild.builds[0]?.phases).toEqual([{ name: 'DOWNLOAD_SOURCE', status: 'FAILED' }]);
    expect(states(run, 'StateFailed')).toContain('build: States.HeartbeatTimeout');
    await assertFailedCleanly(twin, run, /States\.HeartbeatTimeout/);
  }, 150_000);
});
