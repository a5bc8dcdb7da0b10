// Operator rollback mid-canary on the twin (issue 12): release 1 is served in qa, release 2 is at qa's
// first canary step with traffic on it, and an operator runs `vouch rollback orders qa --aws` through
// the control Function URL. What is recorded must be what runs: traffic back on release 1 at once,
// release 2 ROLLED_BACK in qa (never PROMOTED), the run FAILED after its cleanup, the team told, and
// nothing of the runs left. Its own file: the app is synthesized once for it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wallSleep } from '../../lambdas/twin/clock.ts';
import { lastingBaseUrls, leftovers, storyReleases, whereItRuns } from '../../lambdas/twin/story.ts';
import { startTwin, TWIN_ROOT, type Twin } from '../../lambdas/twin/TwinPlatform.ts';
import type { SynthesizedStack } from '../../lambdas/twin/template.ts';
import { exampleStacks, operatorControl, qaRelease, qaWeights, until } from './support/twinFixture.ts';

let stacks: SynthesizedStack[];
let twin: Twin | undefined;

beforeAll(async () => {
  stacks = await exampleStacks();
}, 120_000);

afterAll(async () => {
  await twin?.stop();
}, 60_000);

/** A run's failed states with their causes: what the assertion prints when a release did not end well. */
const failures = (run: { events: { type: string; state?: string; error?: string; cause?: string }[] }) =>
  run.events
    .filter((e) => e.type === 'StateFailed')
    .map((e) => `${e.state}: ${e.error}: ${e.cause?.slice(0, 400)}`)
    .join('\n');

const PLATFORM = `${TWIN_ROOT}examples/platform.yml`;

describe('operator rollback mid-canary on the twin', () => {
  it('puts qa back on release 1 at once; release 2 ends ROLLED_BACK in qa, FAILED, the team told, nothing left', async () => {
    // Prepare: release 1 served in qa (a first release), then release 2 walking qa's canary steps.
    const [r1, r2] = storyReleases(`${TWIN_ROOT}examples/orders`, `${TWIN_ROOT}examples/orders-faulty`);
    if (!r1 || !r2) throw new Error('the story has no releases 1 and 2');
    twin = await startTwin({
      stacks,
      // x10: a task Lambda's 30 s is 3 s of wall time (release.test.ts says why not x20).
      timeScale: 10,
      commitSources: new Map([
        [r1.commit, r1.sources],
        [r2.commit, r2.sources],
      ]),
      ec2Timings: { bootMs: 10_000, builderRunMs: 20_000, imageMs: 20_000 },
    });
    const current = twin;
    current.scheduler.start();
    const machine = current.stepFunctions.machine('vouch-ec2-canary');
    const first = current.stepFunctions.start(machine.arn, 'twin-release-1', qaRelease(r1));
    await Promise.race([first.done.catch(() => undefined), wallSleep(150_000)]);
    const refusedCalls = current.sdk.calls.filter(
      (c) => c.outcome !== 'ok' && c.outcome !== 'ConditionalCheckFailedException',
    );
    expect(first.status, `${failures(first)}\n${JSON.stringify(refusedCalls).slice(0, 3000)}`).toBe(
      'SUCCEEDED',
    );
    const baseUrls = lastingBaseUrls(PLATFORM, 'orders');
    expect((await whereItRuns(current, 'orders', baseUrls))[0]).toEqual({
      environment: 'qa',
      recorded: 1,
      served: '1',
    });

    const second = current.stepFunctions.start(machine.arn, 'twin-release-2', qaRelease(r2, 1200));
    // The first canary step is live: traffic on release 2's target group, its window open.
    await until(
      () =>
        second.status !== 'RUNNING' ||
        (qaWeights(current).canary > 0 &&
          current.stepFunctions.pendingTokens.some((t) => t.execution.endsWith('twin-release-2'))),
      150_000,
      'release 2 at its first canary step in qa',
    );
    expect(second.status).toBe('RUNNING');
    expect(qaWeights(current).canary).toBeGreaterThan(0);

    // Act: the operator rolls qa back through the control Function URL.
    const answer = (await operatorControl(current).rollback('orders', 'qa')) as Record<string, unknown>;
    // Traffic back on the baseline at once: within seconds of wall time (the run's rollback task
    // runs as soon as the window's token fails), before the run's cleanup.
    await until(() => qaWeights(current).canary === 0, 20_000, 'qa canary weight back to 0');
    const weightsAfter = qaWeights(current);
    await Promise.race([second.done.catch(() => undefined), wallSleep(120_000)]);

    // Assess
    current.scheduler.stop();
    await current.lambdas.settled();
    const alice = 'arn:aws:sts::123456789012:assumed-role/release-managers/alice';
    expect(answer).toMatchObject({ done: true, actor: alice });
    expect(weightsAfter).toMatchObject({ canary: 0 });
    expect(weightsAfter.baseline).toBeGreaterThan(0);
    const entered = second.events.filter((e) => e.type === 'StateEntered').map((e) => e.state);
    const events = await current.builds.listEvents('orders', 2);
    const promotions = events.flatMap((e) => (e.kind === 'PROMOTION' ? [e.label] : []));
    expect({
      status: second.status,
      // The operator's rollback reached the run as the window's failure, and the run rolled back.
      rolledBack: entered.includes('rollback'),
      promoted: entered.includes('promote'),
      promotions,
      control: events.filter((e) => e.kind === 'CONTROL').map((e) => e.kind === 'CONTROL' && e.actor),
      build: (await current.builds.getBuild('orders', 2))?.status,
      // Cleanup ran: test environment destroyed, locks released, outcome reported.
      cleanup: ['destroy-test', 'release-locks', 'report', 'notify'].filter((s) => !entered.includes(s)),
      where: await whereItRuns(current, 'orders', baseUrls),
      left: await leftovers(current, 'orders', ['qa', 'prod']),
      running: (await current.builds.listRunningBuilds('orders')).map((b) => b.version),
      denied: current.sdk.calls.filter((c) => c.outcome === 'AccessDeniedException'),
    }).toEqual({
      status: 'FAILED',
      rolledBack: true,
      promoted: false,
      promotions: ['PASSED_TEST', 'ROLLED_BACK:qa'],
      control: [alice],
      build: 'FAILED',
      cleanup: [],
      where: [
        { environment: 'qa', recorded: 1, served: '1' },
        { environment: 'prod', recorded: undefined, served: undefined },
      ],
      left: { instances: [], targetGroups: [], rules: [], schedules: [], tokens: [], locks: [] },
      running: [],
      denied: [],
    });
    // The team was told in Slack that release 2 was rolled back in qa.
    expect(
      current.slack.messages.filter((m) => /ROLLED.BACK|rolled back/i.test(m.text) && /qa/.test(m.text)),
    ).not.toEqual([]);
  }, 420_000);
});
