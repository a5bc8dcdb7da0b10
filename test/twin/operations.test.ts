// Operating the deployed platform on the twin (issues 12 and 16): the scheduled reconciler ends a run
// whose execution was stopped, and frees what it held. Its own file: the app is synthesized once for it.
import { describe, expect, it } from 'vitest';
import { awsControl } from '../../lambdas/adapters/dashboard/aws.ts';
import { ControlRefusedError } from '../../lambdas/adapters/dashboard/errors.ts';
import { TwinFunctionUrls } from '../../lambdas/twin/functionUrls.ts';
import type { Twin } from '../../lambdas/twin/TwinPlatform.ts';
import { assertNothingLeft } from './support/nothingLeft.ts';
import { ordersRunInput, until, useExampleTwin } from './support/twinFixture.ts';

const COMMIT = '89abcdef0123456789abcdef0123456789abcdef';
const example = useExampleTwin();

/** Waits (wall time, bounded) until the build's events have `task`'s done event. */
async function taskEnded(t: Twin, task: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const events = await t.builds.listEvents('orders', 1);
    if (events.some((e) => e.kind === 'TASK' && e.task === task && e.phase === 'done')) return;
    await new Promise((r) => globalThis.setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${task} to end`);
}

const entered = (run: { events: { type: string; state?: string }[] }, state: string) =>
  run.events.some((e) => e.type === 'StateEntered' && e.state === state);

describe('the scheduled reconciler on the twin', () => {
  it('ends a run whose execution was stopped during its test deploy: ABORTED, its test environment gone, the team told', async () => {
    // Prepare: a release runs through bake and provision-test; it is stopped while deploy-test runs.
    const twin = await example.start({ timeScale: 20 });
    const machine = twin.stepFunctions.machine('vouch-ec2-canary');
    const run = twin.stepFunctions.start(machine.arn, 'twin-stopped', ordersRunInput(COMMIT, 'twin-stopped'));
    await until(() => entered(run, 'deploy-test') || run.status !== 'RUNNING', 60_000, 'deploy-test');
    expect(entered(run, 'deploy-test')).toBe(true);
    run.abort();
    await run.done;
    // As on AWS, stopping an execution does not stop the Lambda it was running: let it end (it
    // records its task's outcome last).
    await taskEnded(twin, 'deploy-test');
    const envId = 'orders.test.twin-stopped';
    const ofRun = (tags: Record<string, string>) => tags['vouch:environment-id'] === envId;
    expect(run.status).toBe('ABORTED');
    expect((await twin.builds.getBuild('orders', 1))?.status).toBe('RUNNING');
    expect([...twin.elb.targetGroups.values()].filter((g) => ofRun(g.tags))).toHaveLength(2);
    // provision-test gave the run's environment its own alarms (issue 12 item 4), on the run's key.
    const alarms = twin.cloudWatch.alarms;
    const runAlarms = () => [...alarms.keys()].filter((n) => n.startsWith('vouch.orders.test-twin-stopped.'));
    expect(runAlarms().sort()).toEqual([
      'vouch.orders.test-twin-stopped.errorRate',
      'vouch.orders.test-twin-stopped.latency',
      'vouch.orders.test-twin-stopped.traffic',
    ]);
    const reconcile = twin.scheduler.find('vouch-reconciler', 'reconcile');
    if (!reconcile) throw new Error('the templates have no reconcile schedule');

    // Act: Scheduler fires the reconciler as it does every five minutes.
    await twin.scheduler.fire(reconcile);
    await twin.lambdas.settled();

    // Assess: the invocation succeeded with every call allowed by the reconciler's own role.
    expect(twin.lambdas.asyncFailures).toEqual([]);
    const reconciler = twin.lambdas.byEntry('lambdas/handlers/reconciler.ts');
    const calls = twin.sdk.calls.filter((c) => c.function === reconciler.logicalId);
    expect(calls.length).toBeGreaterThan(0);
    expect(
      calls.filter((c) => c.outcome !== 'ok' && c.outcome !== 'ConditionalCheckFailedException'),
    ).toEqual([]);
    expect(calls).toContainEqual(
      expect.objectContaining({ service: 'states', command: 'DescribeExecution' }),
    );
    // The run is ABORTED, with what was freed.
    expect(await twin.builds.getBuild('orders', 1)).toMatchObject({ status: 'ABORTED' });
    const events = await twin.builds.listEvents('orders', 1);
    expect(events.find((e) => e.kind === 'RUN' && e.phase === 'done')).toMatchObject({
      kind: 'RUN',
      outcome: 'ABORTED',
      report: { destroyed: [envId] },
    });
    // Nothing of its test environment is left: no instance running, no target group, no rule, no bots.
    const live = [...twin.ec2.instances.values()].filter(
      (i) => ofRun(i.tags) && i.terminatedAt === undefined,
    );
    expect(live).toEqual([]);
    expect([...twin.elb.targetGroups.values()].filter((g) => ofRun(g.tags))).toEqual([]);
    expect([...twin.elb.rules.values()].filter((r) => ofRun(r.tags))).toEqual([]);
    expect([...twin.scheduler.schedules.values()].filter((s) => s.group === 'vouch-run-bots')).toEqual([]);
    expect(runAlarms()).toEqual([]);
    // No lock is held by it (none was taken before its release stage), and the team was told.
    for (const env of ['qa', 'prod']) expect(await twin.builds.findLock('orders', env)).toBeUndefined();
    // The reconciler's message went SNS -> the notifier subscription -> Slack.
    const told = twin.slack.messages.filter((m) => /orders/.test(m.text) && /reconcil/i.test(m.text));
    expect(told).toHaveLength(1);
    expect(twin.sns.published.map((p) => p.topicArn)).toEqual([expect.stringContaining(':sns:')]);

    await assertNothingLeft(twin, { service: 'orders', execution: 'twin-stopped' });

    // A second pass finds nothing more to do and says nothing.
    await twin.scheduler.fire(reconcile);
    await twin.lambdas.settled();
    expect(twin.lambdas.asyncFailures).toEqual([]);
    expect(twin.slack.messages.filter((m) => /reconcil/i.test(m.text))).toHaveLength(1);
  }, 120_000);
});

/** The operator policy the stack outputs (ControlOperatorPolicyArn), as the template writes it. */
function operatorPolicy(t: Twin): unknown {
  const [found] = t.templates
    .resourcesOfType('AWS::IAM::ManagedPolicy')
    .filter((p) => String(p.resource.Properties?.Description).startsWith('Vouch operators'));
  if (!found) throw new Error('the templates have no operator policy');
  return t.templates.resolve(found.stackName, found.resource.Properties?.PolicyDocument);
}

describe('the control path on the twin', () => {
  it('aborts a release during bake for a caller with the operator policy, recorded with who did it; refuses one without', async () => {
    // Prepare: the control Function URL, two people: an operator (the stack's operator policy) and
    // a developer who may read the build table but not call the control endpoint.
    const twin = await example.start({ timeScale: 20 });
    const urls = new TwinFunctionUrls(twin.templates, twin.lambdas);
    const control = urls.urlOf('lambdas/handlers/control.ts');
    urls.caller('AKIDOPERATOR', {
      identity: {
        roleName: 'release-managers',
        roleArn: 'arn:aws:iam::123456789012:role/release-managers',
        policies: [{ name: 'VouchOperators', policy: operatorPolicy(twin) }],
      },
      sessionName: 'alice',
    });
    urls.caller('AKIDDEVELOPER', {
      identity: {
        roleName: 'developers',
        roleArn: 'arn:aws:iam::123456789012:role/developers',
        policies: [
          {
            name: 'ReadBuilds',
            policy: {
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Action: 'dynamodb:Query', Resource: '*' }],
            },
          },
        ],
      },
      sessionName: 'bob',
    });
    // The CLI's own control path (vouch abort --aws), signing with each person's credentials.
    const as = (accessKeyId: string) =>
      awsControl({
        controlUrl: control.url,
        region: 'eu-west-1',
        credentials: async () => ({ accessKeyId, secretAccessKey: 'secret' }),
        fetch: urls.fetch,
      });
    const machine = twin.stepFunctions.machine('vouch-ec2-canary');
    const run = twin.stepFunctions.start(machine.arn, 'twin-abort', ordersRunInput(COMMIT, 'twin-abort'));
    await until(() => entered(run, 'bake') || run.status !== 'RUNNING', 30_000, 'bake');
    expect(entered(run, 'bake')).toBe(true);

    // Act 1: the developer tries.
    const refused = as('AKIDDEVELOPER').abort('orders');

    // Assess 1: refused before the function runs, with what to do; the run goes on.
    await expect(refused).rejects.toThrow(ControlRefusedError);
    await expect(refused).rejects.toThrow(
      /AWS refused: your credentials may not call the Vouch control endpoint \(it needs lambda:InvokeFunctionUrl.*ControlOperatorPolicyArn\): Forbidden/,
    );
    const controlFn = twin.lambdas.byEntry('lambdas/handlers/control.ts');
    expect(twin.sdk.calls.filter((c) => c.function === controlFn.logicalId)).toEqual([]);
    expect(run.status).toBe('RUNNING');

    // Act 2: the operator aborts.
    const answer = (await as('AKIDOPERATOR').abort('orders')) as Record<string, unknown>;
    await run.done;

    // Assess 2: the execution was stopped by the control Lambda, with every call allowed by its role,
    // and the abort is on the build's timeline with the operator's ARN.
    const alice = 'arn:aws:sts::123456789012:assumed-role/release-managers/alice';
    expect(answer).toMatchObject({ done: true, actor: alice });
    expect(run.status).toBe('ABORTED');
    expect(run.stopped).toEqual({ error: 'Aborted', cause: expect.stringContaining(alice) });
    const controlCalls = twin.sdk.calls.filter((c) => c.function === controlFn.logicalId);
    expect(controlCalls).toContainEqual(expect.objectContaining({ command: 'StopExecution', outcome: 'ok' }));
    expect(controlCalls.filter((c) => c.outcome !== 'ok')).toEqual([]);
    const abort = (await twin.builds.listEvents('orders', 1)).filter((e) => e.kind === 'CONTROL');
    expect(abort).toEqual([expect.objectContaining({ action: 'abort', actor: alice })]);

    // Act 3: the bake Lambda the execution was running ends on its own; the reconciler's schedule fires.
    await twin.lambdas.settled();
    const reconcile = twin.scheduler.find('vouch-reconciler', 'reconcile');
    if (!reconcile) throw new Error('the templates have no reconcile schedule');
    await twin.scheduler.fire(reconcile);
    await twin.lambdas.settled();

    // Assess 3: the run ends ABORTED with its cleanup: no lock, no instance of it left running.
    expect(twin.lambdas.asyncFailures).toEqual([]);
    expect(await twin.builds.getBuild('orders', 1)).toMatchObject({ status: 'ABORTED' });
    for (const env of ['qa', 'prod']) expect(await twin.builds.findLock('orders', env)).toBeUndefined();
    const running = [...twin.ec2.instances.values()].filter(
      (i) =>
        i.terminatedAt === undefined &&
        (i.tags.commit === COMMIT || i.tags['vouch:environment-id']?.endsWith('twin-abort')),
    );
    expect(running).toEqual([]);
    // Stopping the execution did not stop its bake Lambda (as on AWS): it ends its own wait and
    // terminates its builder, then nothing of the run is left.
    const builderRunning = () =>
      [...twin.ec2.instances.values()].some((i) => i.builder && i.terminatedAt === undefined);
    await until(() => !builderRunning(), 60_000, 'the aborted run’s bake to terminate its builder');
    await assertNothingLeft(twin, { service: 'orders', execution: 'twin-abort' });
  }, 120_000);
});
