// The fault list of issue 13 on the twin: each fault is an answer AWS really gives, armed through
// `twin.faults` (lambdas/twin/faults.ts) in the twin's SDK path or Lambda service, never in the product.
// For each, the run ends on its own (no unbounded wait), cleans up (test environment destroyed,
// rollback where it deployed, locks released), records the failure and tells the team in Slack through
// SNS -> notifier; assertNothingLeft then finds nothing of the run but its image.
// This file: a Lambda timeout and a waiter deadline; faults.test.ts: the others.
import { describe, expect, it } from 'vitest';
import { assertFailedCleanly, ended, startFaultTwin, startRun, states } from './support/faultTwin.ts';
import { useExampleTwin } from './support/twinFixture.ts';

const example = useExampleTwin();

describe('faults on the twin: timeouts and deadlines', () => {
  it('a task Lambda past its template Timeout (verify, 60 s, stalled on CreateSchedule): retried, then the run fails cleanly', async () => {
    // Prepare: every window-end CreateSchedule (a one-time `at(...)` schedule) hangs for 90 s: the verify
    // Lambda (Timeout 60) is ended by Lambda each time. The test environment's bot schedules (`rate(...)`,
    // created by deploy, whose Timeout is 600 s) are answered: stalled too, they held deploy 180 s.
    const twin = await startFaultTwin(example);
    const verify = twin.lambdas.byEntry('lambdas/handlers/tasks/verify.ts');
    expect(verify.timeoutSeconds).toBe(60);
    twin.faults.stall('scheduler', 'CreateSchedule', 90_000, 100, (input) =>
      String(input.ScheduleExpression).startsWith('at('),
    );

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

  it('a waiter deadline (the image not available within bake’s wait): WaiterTimeoutError, retried, then the run fails cleanly, its builder terminated', async () => {
    // Prepare: images take an hour, bake waits six minutes for one (adapters/aws/target/config.ts).
    const twin = await startFaultTwin(example, {
      timeScale: 20,
      ec2Timings: { bootMs: 10_000, builderRunMs: 20_000, imageMs: 3_600_000 },
    });

    // Act
    const run = startRun(twin, 'twin-fault-waiter');
    await ended(twin, run, 150_000);

    // Assess: the wait gave up three times (a retry resumes the same wait), then the run failed.
    expect(states(run, 'StateFailed').filter((s) => s === 'bake: WaiterTimeoutError')).toHaveLength(3);
    // The builder was imaged, then terminated by the bake that gave up on the image (it was left
    // running before: nothing of the run's cleanup knows it).
    const builders = [...twin.ec2.instances.values()].filter((i) => i.builder);
    expect(builders.map((b) => b.terminatedAt !== undefined)).toEqual([true]);
    await assertFailedCleanly(twin, run, /WaiterTimeoutError/);
  }, 200_000);
});
