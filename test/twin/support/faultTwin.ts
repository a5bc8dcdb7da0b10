/**
 * The fault tests' twin (test/twin/faults*.test.ts, split in two files so the suite runs them side by
 * side): a short run of the example service, bounded waits, and what every failed run must show.
 */
import { expect } from 'vitest';
import { wallSleep } from '../../../lambdas/twin/clock.ts';
import type { TwinExecution } from '../../../lambdas/twin/stepFunctions.ts';
import type { Twin, TwinOptions } from '../../../lambdas/twin/TwinPlatform.ts';
import { assertNothingLeft, type RunLeftovers } from './nothingLeft.ts';
import { type ExampleTwin, ordersRunInput } from './twinFixture.ts';

/** The story's release 1 commit: instances run examples/orders for it. */
export const COMMIT = '1'.repeat(40);
const SOURCES = new Map([
  [COMMIT, ['examples/orders'].map((d) => new URL(`../../../${d}`, import.meta.url).pathname)],
]);

/**
 * A twin where a run is short: x5 (a task Lambda's 30 s timeout is 6 s of wall time: at x10 a 2-core
 * machine loaded by other test runs timed report and unlock out, and the bots' latency budgets
 * failed); builders and images done in a second of twin time and instances booted in 5 s, so bake and
 * deploy take one poll of each of their waits (config.ts: 5 to 15 s): no fault here is about EC2's
 * durations, and the waiter deadline's test gives its own.
 */
export async function startFaultTwin(example: ExampleTwin, options: TwinOptions = {}): Promise<Twin> {
  const twin = await example.start({
    timeScale: 5,
    commitSources: SOURCES,
    ec2Timings: { bootMs: 5_000, builderRunMs: 1_000, imageMs: 1_000 },
    ...options,
  });
  twin.scheduler.start();
  return twin;
}

/**
 * Starts a run of the example service releasing to `releaseTo` after its test environment (as a
 * `.vouch.yml` listing only those lasting environments would): fewer environments, shorter tests.
 */
export function startRun(twin: Twin, execution: string, releaseTo: readonly string[] = []): TwinExecution {
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
export async function ended(twin: Twin, run: TwinExecution, wallMs: number): Promise<void> {
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

export const states = (run: TwinExecution, type: string) =>
  run.events.filter((e) => e.type === type).map((e) => (e.error ? `${e.state}: ${e.error}` : e.state));

/** What every failed run must show: recorded FAILED, cleanup ran, the team told in Slack, nothing left. */
export async function assertFailedCleanly(
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
