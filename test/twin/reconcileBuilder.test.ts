// The scheduled cleanups on the twin, with their own roles. The reconciler (issue 12): an operator
// abort during bake does not stop the bake Lambda nor the builder instance it launched; the reconciler
// finds the builder by its tags and terminates it. The sweeper (issue 18), without running a release:
// the fakes are seeded with what interrupted runs leave beside a running run's own
// (support/sweepLeftovers.ts), and it removes exactly the leftovers. One file: the app is synthesized
// once for both (about half a minute).
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runKeyOf } from '../../lambdas/core/target/naming.ts';
import { startTwin, type Twin } from '../../lambdas/twin/TwinPlatform.ts';
import type { SynthesizedStack } from '../../lambdas/twin/template.ts';
import { sweepLines } from '../../scripts/cli/builds.ts';
import { FN_ENDED, FN_RUNNING, runSweeper, seedLeftovers } from './support/sweepLeftovers.ts';
import {
  exampleStacks,
  operatorControl,
  ordersRunInput,
  qaWeights,
  until,
  withoutGrant,
} from './support/twinFixture.ts';

const COMMIT = 'b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0';
let stacks: SynthesizedStack[];
let twin: Twin | undefined;

beforeAll(async () => {
  stacks = await exampleStacks();
}, 120_000);

afterEach(async () => {
  await twin?.stop();
  twin = undefined;
});

describe('the reconciler after an abort during bake on the twin', () => {
  it('terminates the builder instance the stopped bake launched, and says so', async () => {
    // Prepare: the builder's user data takes an hour (a slow install), so bake is still waiting on it
    // when the operator aborts: StopExecution ends the execution, not the bake Lambda or the builder.
    twin = await startTwin({
      stacks,
      // x10: a task Lambda's 30 s is 3 s of wall time, which a loaded machine needs (release.test.ts).
      timeScale: 10,
      ec2Timings: { bootMs: 10_000, builderRunMs: 3_600_000, imageMs: 20_000 },
    });
    const current = twin;
    const machine = current.stepFunctions.machine('vouch-ec2-canary');
    const run = current.stepFunctions.start(
      machine.arn,
      'twin-bake-abort',
      ordersRunInput(COMMIT, 'twin-bake-abort'),
    );
    // The run's builder: the only builder this twin launches.
    const builders = () => [...current.ec2.instances.values()].filter((i) => i.builder);
    await until(() => builders().length > 0 || run.status !== 'RUNNING', 120_000, 'the bake’s builder').catch(
      (error: Error) => {
        const states = run.events.map((e) => `${e.type} ${e.state ?? ''} ${e.error ?? ''}`).join('; ');
        throw new Error(`${error.message}; the run so far: ${states}`);
      },
    );
    expect(run.status).toBe('RUNNING');
    const [builder] = builders();
    const answer = (await operatorControl(current).abort('orders')) as Record<string, unknown>;
    await run.done.catch(() => undefined);
    expect(answer).toMatchObject({ done: true });
    expect(run.status).toBe('ABORTED');
    expect(builder?.terminatedAt).toBeUndefined();
    const reconcile = current.scheduler.find('vouch-reconciler', 'reconcile');
    if (!reconcile) throw new Error('the templates have no reconcile schedule');

    // Act: Scheduler fires the reconciler while the stopped run's bake Lambda still waits on its builder.
    await current.scheduler.fire(reconcile);
    await current.lambdas.settled();

    // Assess: the builder is terminated (the bake Lambda, finding it gone, ended on its own), the run
    // is ABORTED with the builder in its report, no reconciler call was denied by its role.
    const reconciler = current.lambdas.byEntry('lambdas/handlers/reconciler.ts');
    const calls = current.sdk.calls.filter((c) => c.function === reconciler.logicalId);
    expect({
      asyncFailures: current.lambdas.asyncFailures,
      liveBuilders: builders()
        .filter((i) => i.terminatedAt === undefined)
        .map((i) => i.id),
      terminatedBy: calls
        .filter((c) => c.service === 'ec2' && c.command === 'TerminateInstances')
        .map((c) => c.outcome),
      denied: calls.filter((c) => c.outcome === 'AccessDeniedException'),
      build: (await current.builds.getBuild('orders', 1))?.status,
    }).toEqual({
      asyncFailures: [],
      liveBuilders: [],
      terminatedBy: ['ok'],
      denied: [],
      build: 'ABORTED',
    });
    const events = await current.builds.listEvents('orders', 1);
    expect(events.find((e) => e.kind === 'RUN' && e.phase === 'done')).toMatchObject({
      outcome: 'ABORTED',
      report: { builders: [builder?.id] },
    });
  }, 240_000);
});

describe('the scheduled sweeper on the twin', () => {
  it('removes every leftover of ended runs, rolls back their canaries, keeps what serves, what runs and the newest images', async () => {
    // Prepare
    twin = await startTwin({ stacks });
    const t = twin;
    const { ended, kept, qaCanary, schedules, alarms, builders } = await seedLeftovers(t);
    const fn = t.lambdaService.functions.get('orders-fn');
    const lastingAlarms = [...t.cloudWatch.alarms.keys()].filter((n) => !n.startsWith('vouch.orders.test-'));

    // Act
    const report = await runSweeper(t);

    // Assess: every call allowed by the template role, nothing failed.
    const calls = t.sdk.calls.filter(
      (c) => c.function === t.lambdas.byEntry('lambdas/handlers/sweeper.ts').logicalId,
    );
    // (The ended runs' executions are gone: DescribeExecution says ExecutionDoesNotExist.)
    expect(calls.filter((c) => c.outcome !== 'ok' && c.outcome !== 'ExecutionDoesNotExist')).toEqual([]);
    expect(report.failed).toEqual([]);
    // EC2: the ended run's test environment gone whole, the running run's untouched.
    const live = (id: string) => t.ec2.instances.get(id)?.terminatedAt === undefined;
    const groupsOf = (envId: string) =>
      [...t.elb.targetGroups.values()].filter((g) => g.tags['vouch:environment-id'] === envId).length;
    const rulesOf = (envId: string) =>
      [...t.elb.rules.values()].filter((r) => r.tags['vouch:environment-id'] === envId).length;
    expect({
      endedInstance: live(ended.instance),
      endedGroups: groupsOf(ended.id),
      endedRules: rulesOf(ended.id),
      keptInstance: live(kept.instance),
      keptGroups: groupsOf(kept.id),
      keptRules: rulesOf(kept.id),
    }).toEqual({
      endedInstance: false,
      endedGroups: 0,
      endedRules: 0,
      keptInstance: true,
      keptGroups: 2,
      keptRules: 1,
    });
    // The stopped bake's builder terminated, the running run's left baking; of the run-bots group's
    // schedules, the ended environment's went with it, the orphaned one on its own, the running
    // run's stayed.
    const runBots = [...t.scheduler.schedules.values()]
      .filter((s) => s.name.startsWith('vb-'))
      .map((s) => s.name);
    expect({
      endedBuilder: live(builders.ended),
      runningBuilder: live(builders.running),
      runBots,
    }).toEqual({ endedBuilder: false, runningBuilder: true, runBots: [schedules.kept] });
    // Of orders' per-run alarms, likewise only the running run's stay; the lasting environments'
    // (the service stacks') are untouched.
    expect({
      runAlarms: [...t.cloudWatch.alarms.keys()].filter((n) => n.startsWith('vouch.orders.test-')).sort(),
      lasting: [...t.cloudWatch.alarms.keys()].filter((n) => !n.startsWith('vouch.orders.test-')),
    }).toEqual({ runAlarms: [...alarms.kept].sort(), lasting: lastingAlarms });
    // The stopped canary in qa rolled back: no traffic, its instance retired; the baseline serves.
    expect(qaWeights(t)).toEqual({ baseline: 100, canary: 0 });
    expect(live(qaCanary)).toBe(false);
    // AMIs: the running run's bake (1), qa's (2), the canary's (9, serving when inventoried), the
    // running run's test environment's (8) and the newest three of the rest (7, 6, 5) stay; 3 and 4
    // go with their snapshots.
    const registered = [...t.ec2.images.values()]
      .filter((i) => !i.deregistered)
      .map((i) => i.tags['vouch:image-id']);
    const kept7 = [1, 2, 5, 6, 7, 8, 9];
    expect(registered.sort()).toEqual(kept7.map((n) => `image-${n}`));
    expect([...t.ec2.snapshots.keys()].sort()).toEqual(kept7.map((n) => `snap-0sweep${n}`));
    // Lambda: the ended run's test alias and URL gone, the running run's kept; qa's stopped canary
    // removed at once, prod's (the running run's) untouched.
    expect({
      aliases: [...(fn?.aliases.keys() ?? [])].sort(),
      urls: [...(fn?.urls.keys() ?? [])].sort(),
      qa: fn?.aliases.get('qa')?.weights,
      prod: fn?.aliases.get('prod')?.weights,
    }).toEqual({
      aliases: ['prod', 'qa', `test-${runKeyOf(FN_RUNNING)}`],
      urls: ['prod', 'qa', `test-${runKeyOf(FN_RUNNING)}`],
      qa: {},
      prod: { '9': 0.1 },
    });
    // Versions: serving (1, 5, 8, 9), the running run's alias's (11) and publish (12), the newest
    // three besides (10, 7, 6) stay; 2, 3 and 4 go.
    expect([...(fn?.versions.keys() ?? [])].map(Number).sort((a, b) => a - b)).toEqual([
      1, 5, 6, 7, 8, 9, 10, 11, 12,
    ]);
    // Recorded per service, as `vouch history <service> --swept` prints it.
    const orders = sweepLines(await t.builds.listSweeps('orders')).join('\n');
    const ordersFn = sweepLines(await t.builds.listSweeps('orders-fn')).join('\n');
    for (const line of [
      ended.id,
      'canary',
      'image-3',
      'image-4',
      builders.ended,
      schedules.orphan,
      ...alarms.orphan,
    ])
      expect(orders).toContain(line);
    for (const line of [`orders-fn:test-${runKeyOf(FN_ENDED)}`, 'orders-fn.qa', 'orders-fn:2', 'orders-fn:4'])
      expect(ordersFn).toContain(line);
    // orders: its test environment, its qa canary, two AMIs, a builder, an orphaned bot schedule and
    // the orphaned alarms (one a signal); orders-fn: its alias, its qa canary, three versions.
    expect(alarms.orphan.length).toBeGreaterThan(0);
    expect(report.removed).toHaveLength(6 + alarms.orphan.length + 5);
  }, 120_000);

  it('without ec2:DeregisterImage the images stay, each removal failed AccessDenied and recorded', async () => {
    // Prepare
    twin = await startTwin({
      stacks: withoutGrant(stacks, 'SweeperRoleDefaultPolicy', 'ec2:DeregisterImage'),
    });
    const t = twin;
    await seedLeftovers(t);

    // Act
    const report = await runSweeper(t);

    // Assess
    expect(
      report.failed
        .map((f) => [f.resource.id, f.error.includes('not authorized to perform: ec2:DeregisterImage')])
        .sort(),
    ).toEqual([
      ['image-3', true],
      ['image-4', true],
    ]);
    expect([...t.ec2.images.values()].filter((i) => i.deregistered)).toEqual([]);
    expect(t.ec2.snapshots.size).toBe(9);
    expect(sweepLines(await t.builds.listSweeps('orders')).join('\n')).toContain('FAILED');
  }, 120_000);
});
