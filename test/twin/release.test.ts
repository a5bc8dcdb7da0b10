// A whole release on the twin (lambdas/twin): release 1 of examples/orders runs on the synthesized
// ec2-canary state machine through test, qa and prod, served by instance processes behind the weighted
// proxies, and leaves nothing of its own behind. The app is synthesized once for the file.
import { describe, expect, it } from 'vitest';
import { wallSleep } from '../../lambdas/twin/clock.ts';
import {
  lastingBaseUrls,
  leftovers,
  releaseInput,
  storyReleases,
  whereItRuns,
} from '../../lambdas/twin/story.ts';
import { TWIN_ROOT } from '../../lambdas/twin/TwinPlatform.ts';
import { assertNothingLeft } from './support/nothingLeft.ts';
import { ORDERS, ordersRunInput, useExampleTwin, withoutGrant } from './support/twinFixture.ts';

const example = useExampleTwin();

function taskEvent(type: string, execution: string) {
  return {
    task: { name: `${type}-test`, type, params: { environment: 'test' } },
    run: { ...ordersRunInput('1'.repeat(40), execution), out: {} },
  };
}

describe('the test environment’s load balancer resources on the synthesized roles', () => {
  it('destroy deletes the run’s rule and groups; without elasticloadbalancing:DeleteRule it is AccessDenied naming the rule', async () => {
    // Prepare: two twins on the same templates, one with the destroy role's DeleteRule grant removed.
    for (const [from, execution] of [
      [
        withoutGrant(example.stacks, 'TaskDestroyRoleDefaultPolicy', 'elasticloadbalancing:DeleteRule'),
        'twin-denied',
      ],
      [example.stacks, 'twin-allowed'],
    ] as const) {
      const twin = await example.start({ stacks: from, timeScale: 1 });
      const current = twin;
      const provision = twin.lambdas.byEntry('lambdas/handlers/tasks/provision.ts');
      const destroy = twin.lambdas.byEntry('lambdas/handlers/tasks/destroy.ts');
      await twin.lambdas.invoke(provision.arn, taskEvent('provision', execution));
      const ours = () =>
        [...current.elb.rules.values()].filter(
          (r) => r.tags['vouch:environment-id'] === `orders.test.${execution}`,
        );
      const [rule] = ours();

      // Act
      const destroyed = twin.lambdas.invoke(destroy.arn, taskEvent('destroy', execution));

      // Assess
      if (execution === 'twin-denied') {
        await expect(destroyed).rejects.toThrow(
          `is not authorized to perform: elasticloadbalancing:DeleteRule on resource: ${rule?.arn}`,
        );
        expect(ours()).toHaveLength(1);
      } else {
        await destroyed;
        expect(ours()).toEqual([]);
        expect(
          [...twin.elb.targetGroups.values()].filter(
            (g) => g.tags['vouch:environment-id'] === `orders.test.${execution}`,
          ),
        ).toEqual([]);
      }
      await example.stop();
    }
  }, 120_000);
});

describe('a release on the twin', () => {
  it('runs release 1 through test, qa and prod: where = what the load balancer serves, nothing left', async () => {
    // Prepare: the story's first release; builders and images take 20 s of twin time instead of minutes.
    const [release] = storyReleases(`${TWIN_ROOT}examples/orders`, `${TWIN_ROOT}examples/orders-faulty`);
    if (release === undefined) throw new Error('the story has no release 1');
    const twin = await example.start({
      // x10: a task Lambda's 30 s timeout is 3 s of wall time, which a loaded 2-core machine needs for
      // five DynamoDB calls through the twin (x20 timed the unlock task out there).
      timeScale: 10,
      commitSources: new Map([[release.commit, release.sources]]),
      ec2Timings: { bootMs: 10_000, builderRunMs: 20_000, imageMs: 20_000 },
    });
    twin.scheduler.start();
    const spec = ordersRunInput(release.commit, 'twin-release-1');
    const machine = twin.stepFunctions.machine(`vouch-${spec.pipe}`);

    // Act
    const run = twin.stepFunctions.start(
      machine.arn,
      'twin-release-1',
      releaseInput({ ...spec, trunk: 'main' }, release, ORDERS.repo),
    );
    await Promise.race([
      run.done.catch(() => undefined),
      wallSleep(220_000), // wall time: the twin's setTimeout runs 10 times faster
    ]);

    // Assess: the run succeeded end to end, its notification went SNS -> notifier -> Slack.
    twin.scheduler.stop();
    await twin.lambdas.settled();
    const failed = run.events.filter((e) => e.type === 'StateFailed').map((e) => `${e.state}: ${e.error}`);
    const entered = run.events.filter((e) => e.type === 'StateEntered').map((e) => e.state);
    const where = await whereItRuns(
      twin,
      'orders',
      lastingBaseUrls(`${TWIN_ROOT}examples/platform.yml`, 'orders'),
    );
    expect({
      status: run.status,
      error: run.error,
      failed,
      slack: twin.slack.messages.some((m) => /orders/.test(m.text) && /v1|version 1/.test(m.text)),
      // Promoted in qa and in prod, the test environment destroyed, the locks released.
      promotions: entered.filter((s) => s === 'promote').length,
      reached: ['deploy-test', 'verify-test', 'passed-test', 'destroy-test', 'release-locks'].filter(
        (s) => !entered.includes(s),
      ),
      // What the build table records runs there is what the load balancer serves.
      where,
      left: await leftovers(twin, 'orders', ['qa', 'prod']),
      denied: twin.sdk.calls.filter((c) => c.outcome === 'AccessDeniedException'),
    }).toEqual({
      status: 'SUCCEEDED',
      error: undefined,
      failed: [],
      slack: true,
      promotions: 2,
      reached: [],
      where: [
        { environment: 'qa', recorded: 1, served: '1' },
        { environment: 'prod', recorded: 1, served: '1' },
      ],
      left: { instances: [], targetGroups: [], rules: [], schedules: [], tokens: [], locks: [] },
      denied: [],
    });
    await assertNothingLeft(twin, { service: 'orders', execution: 'twin-release-1' });
  }, 300_000);
});
