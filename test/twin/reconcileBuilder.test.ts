// An operator abort during bake on the twin (issue 12): stopping the execution does not stop the bake
// Lambda nor the builder instance it launched; the scheduled reconciler finds the builder by its tags
// and terminates it, with the reconciler's own role. Its own file: the app is synthesized once for it.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTwin, type Twin } from '../../lambdas/twin/TwinPlatform.ts';
import type { SynthesizedStack } from '../../lambdas/twin/template.ts';
import { exampleStacks, operatorControl, ordersRunInput, until } from './support/twinFixture.ts';

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
