// The twin's edges (issue 13, items S3, CodeBuild, Secrets Manager, SNS -> notifier -> Slack, alarms ->
// EventBridge -> alarm Lambda, service registration): each fake's semantics and authorisation against the
// roles of the synthesized templates, and the paths between them run as the templates wire them.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { s3Authorization } from '../../lambdas/twin/fakes/s3.ts';
import { authorize, roleIdentity } from '../../lambdas/twin/iam.ts';
import { startTwin, type Twin } from '../../lambdas/twin/TwinPlatform.ts';
import type { SynthesizedStack } from '../../lambdas/twin/template.ts';
import { ORDERS, ordersRunInput, useExampleTwin, withoutGrant } from './support/twinFixture.ts';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const example = useExampleTwin();

async function start(
  options: { timeScale?: number; from?: readonly SynthesizedStack[] } = {},
): Promise<Twin> {
  return example.start({ stacks: options.from ?? example.stacks, timeScale: options.timeScale ?? 1 });
}

/** The role of the orders CodeBuild project, as the templates define it. */
function buildProjectRole(t: Twin) {
  const project = t.templates
    .resourcesOfType('AWS::CodeBuild::Project')
    .find((p) => p.stackName === 'Vouch-orders');
  if (!project) throw new Error('no orders CodeBuild project in the templates');
  const roleArn = t.templates.resolve(project.stackName, project.resource.Properties?.ServiceRole) as string;
  return roleIdentity(t.templates, roleArn);
}

describe('S3 on the twin', () => {
  it('keeps objects of the template bucket and lists, heads, reads and deletes them', async () => {
    const t = await start();
    const [bucket] = [...t.s3.buckets];
    expect(bucket).toBe('vouch-artifacts-123456789012-eu-west-1');
    const s3 = t.s3.fake();
    const call = (command: string, input: Record<string, unknown>) =>
      s3.handle(command, { Bucket: bucket, ...input }, { command: {}, client: {} });

    await call('PutObject', { Key: 'orders/a.tar.gz', Body: 'A' });
    await call('PutObject', { Key: 'orders/b.tar.gz', Body: new Uint8Array([1, 2, 3]) });
    await call('PutObject', { Key: 'catalog/c.tar.gz', Body: 'C' });

    expect(await call('ListObjectsV2', { Prefix: 'orders/' })).toMatchObject({
      KeyCount: 2,
      Contents: [
        { Key: 'orders/a.tar.gz', Size: 1 },
        { Key: 'orders/b.tar.gz', Size: 3 },
      ],
    });
    expect(await call('HeadObject', { Key: 'orders/b.tar.gz' })).toMatchObject({ ContentLength: 3 });
    expect(((await call('GetObject', { Key: 'orders/a.tar.gz' })) as { Body: Buffer }).Body.toString()).toBe(
      'A',
    );
    await call('DeleteObjects', { Delete: { Objects: [{ Key: 'orders/a.tar.gz' }] } });
    await expect(call('GetObject', { Key: 'orders/a.tar.gz' })).rejects.toMatchObject({ name: 'NoSuchKey' });
    await expect(call('HeadObject', { Key: 'orders/a.tar.gz' })).rejects.toMatchObject({ name: 'NotFound' });
    await expect(
      s3.handle('PutObject', { Bucket: 'someone-elses', Key: 'x', Body: 'x' }, { command: {}, client: {} }),
    ).rejects.toMatchObject({ name: 'NoSuchBucket' });
    await expect(call('PutObject', { Key: '../escape', Body: 'x' })).rejects.toMatchObject({
      name: 'InvalidObjectKey',
    });
  }, 60_000);

  it('authorises object calls on arn:aws:s3:::bucket/key: the orders build may put under orders/ only', async () => {
    const t = await start();
    const role = buildProjectRole(t);
    const bucket = 'vouch-artifacts-123456789012-eu-west-1';

    await expect(
      authorize(
        role,
        'build',
        s3Authorization('PutObject', { Bucket: bucket, Key: `orders/${COMMIT}.tar.gz` }),
      ),
    ).resolves.toBeUndefined();
    await expect(
      authorize(
        role,
        'build',
        s3Authorization('PutObject', { Bucket: bucket, Key: `catalog/${COMMIT}.tar.gz` }),
      ),
    ).rejects.toThrow(`s3:PutObject on resource: arn:aws:s3:::${bucket}/catalog/${COMMIT}.tar.gz`);
    // The build uploads; it reads nothing back.
    await expect(
      authorize(
        role,
        'build',
        s3Authorization('GetObject', { Bucket: bucket, Key: `orders/${COMMIT}.tar.gz` }),
      ),
    ).rejects.toThrow('s3:GetObject');
  }, 60_000);

  it('unpacks an uploaded .tar.gz artifact to a directory (what a builder instance bakes)', async () => {
    const t = await start();
    // The service's files and their archive, in a folder the test removes.
    const work = mkdtempSync(join(tmpdir(), 'vouch-twin-artifact-'));
    const source = join(work, 'source');
    mkdirSync(source);
    writeFileSync(join(source, 'server.mjs'), 'console.log("orders")\n');
    const archive = join(work, 'artifact.tar.gz');
    execFileSync('tar', ['-czf', archive, '-C', source, '.']);
    const uri = `s3://vouch-artifacts-123456789012-eu-west-1/orders/${COMMIT}.tar.gz`;

    try {
      await expect(t.s3.artifactDirectory(uri)).rejects.toMatchObject({ name: 'NoSuchKey' });
      await t.s3.putObject(
        'vouch-artifacts-123456789012-eu-west-1',
        `orders/${COMMIT}.tar.gz`,
        readFileSync(archive),
      );
      const dir = await t.s3.artifactDirectory(uri);

      expect(readFileSync(join(dir, 'server.mjs'), 'utf8')).toBe('console.log("orders")\n');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('Secrets Manager on the twin', () => {
  it('holds the secrets the templates name and lets each function read only its own', async () => {
    const t = await start();
    expect(t.secrets.names.sort()).toEqual(['vouch/git-token', 'vouch/slack-token', 'vouch/webhook-secret']);
    const notifier = t.lambdas.byEntry('lambdas/handlers/notifier.ts');
    const fake = t.secrets.fake();
    const slack = await fake.handle(
      'GetSecretValue',
      { SecretId: 'vouch/slack-token' },
      { command: {}, client: {} },
    );

    expect((slack as { SecretString: string }).SecretString).toBe(t.secrets.valueOf('vouch/slack-token'));
    await expect(
      authorize(
        notifier.identity,
        notifier.name,
        fake.authorization('GetSecretValue', { SecretId: 'vouch/slack-token' }),
      ),
    ).resolves.toBeUndefined();
    await expect(
      authorize(
        notifier.identity,
        notifier.name,
        fake.authorization('GetSecretValue', { SecretId: 'vouch/webhook-secret' }),
      ),
    ).rejects.toThrow(
      /secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:eu-west-1:123456789012:secret:vouch\/webhook-secret-\w{6}/,
    );
    await expect(
      fake.handle('GetSecretValue', { SecretId: 'vouch/nope' }, { command: {}, client: {} }),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  }, 60_000);
});

/** The notify task's input for a failed run of orders (version 1). */
function failedRunNotifyEvent(execution: string) {
  return {
    task: { name: 'notify', type: 'notify', params: {} },
    run: {
      ...ordersRunInput(COMMIT, execution),
      out: { version: { version: 1, commit: COMMIT } },
      error: { Error: 'DeployFailedError', Cause: 'deploy-test: the canary never became healthy' },
    },
  };
}

describe('SNS -> notifier -> Slack on the twin', () => {
  it('delivers the notify task’s message through the topic subscription to the notifier, which posts it to Slack', async () => {
    // Prepare
    const t = await start();
    await t.builds.allocateVersion({ service: 'orders', commit: COMMIT, execution: 'twin-notify-1' });
    const notify = t.lambdas.byEntry('lambdas/handlers/tasks/notify.ts');
    const notifier = t.lambdas.byEntry('lambdas/handlers/notifier.ts');

    // Act
    await t.lambdas.invoke(notify.arn, failedRunNotifyEvent('twin-notify-1'));
    await t.lambdas.settled();

    // Assess: one Publish, delivered to the notifier subscription, which posted one message.
    expect(t.sns.published).toHaveLength(1);
    expect(t.sns.published[0]?.deliveredTo).toEqual([notifier.arn]);
    expect(t.lambdas.asyncFailures).toEqual([]);
    expect(t.slack.messages).toHaveLength(1);
    const [message] = t.slack.messages;
    expect(message?.channel).toBe('#checkout-releases');
    expect(message?.text).toContain('orders');
    expect(JSON.stringify(message?.blocks)).toContain('the canary never became healthy');
    expect(t.sdk.calls).toContainEqual({
      function: notifier.logicalId,
      service: 'secretsmanager',
      command: 'GetSecretValue',
      outcome: 'ok',
    });
  }, 60_000);

  it('fails the notify task with AccessDenied on the topic when its role loses sns:Publish', async () => {
    const t = await start({
      from: withoutGrant(example.stacks, 'TaskNotifyRoleDefaultPolicy', 'sns:Publish'),
    });
    await t.builds.allocateVersion({ service: 'orders', commit: COMMIT, execution: 'twin-notify-2' });
    const notify = t.lambdas.byEntry('lambdas/handlers/tasks/notify.ts');

    await expect(t.lambdas.invoke(notify.arn, failedRunNotifyEvent('twin-notify-2'))).rejects.toThrow(
      /sns:Publish on resource: arn:aws:sns:eu-west-1:123456789012:/,
    );
    expect(t.slack.messages).toEqual([]);
  }, 60_000);
});

/** The build task's Lambda event, as the build state passes it (with its task token). */
function buildEvent(execution: string, token: string, command?: { command: string; timeoutSeconds: number }) {
  return {
    task: { name: 'build', type: 'build', params: {} },
    run: { ...ordersRunInput(COMMIT, execution, command), out: { version: { version: 1, commit: COMMIT } } },
    token,
  };
}

const ARTIFACT_BUCKET = 'vouch-artifacts-123456789012-eu-west-1';

describe('CodeBuild on the twin', () => {
  it('runs the buildspec: the build command, the artifact upload, and the token back to the waiting state', async () => {
    // Prepare: a build state waiting on its token, with the HeartbeatSeconds the compiler gives it.
    const t = await start({ timeScale: 40 });
    await t.builds.allocateVersion({ service: 'orders', commit: COMMIT, execution: 'twin-cb-1' });
    const machine = t.stepFunctions.machine('vouch-ec2-canary');
    const execution = `${machine.arn.replace(':stateMachine:', ':execution:')}:twin-cb-1`;
    const { token, waiting } = t.stepFunctions.issueToken(machine.arn, execution, 'build', 600);
    const build = t.lambdas.byEntry('lambdas/handlers/tasks/build.ts');

    // Act: a command that runs past HeartbeatSeconds (700 s of twin time) and writes an output file.
    await t.lambdas.invoke(
      build.arn,
      buildEvent('twin-cb-1', token, { command: 'sleep 700 && echo built > dist.txt', timeoutSeconds: 1200 }),
    );
    const output = await waiting;

    // Assess: the heartbeats kept the state alive; the artifact holds what the command built.
    expect(output).toEqual({
      buildId: expect.stringMatching(/^vouch-orders:/),
      task: 'build',
      commit: COMMIT,
      artifact: `s3://${ARTIFACT_BUCKET}/orders/${COMMIT}.tar.gz`,
    });
    const run = await t.codeBuild.builds[0]?.done;
    expect(run?.status).toBe('SUCCEEDED');
    const calls = t.sdk.calls.filter((c) => c.function === 'codebuild:vouch-orders');
    expect(calls.filter((c) => c.command === 'SendTaskHeartbeat').length).toBeGreaterThan(0);
    // Every call up to post_build's SendTaskSuccess was allowed and answered. The heartbeat loop runs
    // until the container ends, so one heartbeat may land after the task closed: Step Functions answers
    // it TaskTimedOut (SendTaskHeartbeat errors), the loop ends on it, and nothing else follows.
    const success = calls.findIndex((c) => c.command === 'SendTaskSuccess');
    expect(success).toBeGreaterThan(0);
    expect(calls.slice(0, success + 1).filter((c) => c.outcome !== 'ok')).toEqual([]);
    const lateHeartbeat = {
      function: 'codebuild:vouch-orders',
      service: 'states',
      command: 'SendTaskHeartbeat',
      outcome: 'TaskTimedOut',
    };
    expect([[], [lateHeartbeat]]).toContainEqual(calls.slice(success + 1));
    // The loop's output goes nowhere: a late heartbeat leaves no error in the build's log.
    expect(run?.log).not.toContain('TaskTimedOut');
    const dir = await t.s3.artifactDirectory(`s3://${ARTIFACT_BUCKET}/orders/${COMMIT}.tar.gz`);
    expect(readFileSync(join(dir, 'dist.txt'), 'utf8')).toBe('built\n');
    // The task token was never a variable of the build (it waits in the build table).
    expect(Object.values(run?.environment ?? {})).not.toContain(token);
  }, 60_000);

  it('keeps the build alive through throttled heartbeats: the loop beats on, the state does not time out', async () => {
    // Prepare: as above, and Step Functions throttles the build's first two heartbeats (past the CLI's
    // own retries), as a busy account does; a loop that stopped on them would let HeartbeatSeconds end
    // the wait (States.HeartbeatTimeout) while the 700 s command still ran.
    const t = await start({ timeScale: 40 });
    await t.builds.allocateVersion({ service: 'orders', commit: COMMIT, execution: 'twin-cb-3' });
    const machine = t.stepFunctions.machine('vouch-ec2-canary');
    const execution = `${machine.arn.replace(':stateMachine:', ':execution:')}:twin-cb-3`;
    const { token, waiting } = t.stepFunctions.issueToken(machine.arn, execution, 'build', 600);
    const build = t.lambdas.byEntry('lambdas/handlers/tasks/build.ts');
    t.faults.throttle('states', 'SendTaskHeartbeat', 2);

    // Act
    await t.lambdas.invoke(
      build.arn,
      buildEvent('twin-cb-3', token, { command: 'sleep 700 && echo built > dist.txt', timeoutSeconds: 1200 }),
    );
    const output = await waiting;

    // Assess: both throttled heartbeats were answered ThrottlingException, the next ones went through,
    // and the state got its output.
    expect(output).toMatchObject({ task: 'build', commit: COMMIT });
    expect((await t.codeBuild.builds[0]?.done)?.status).toBe('SUCCEEDED');
    const heartbeats = t.sdk.calls
      .filter((c) => c.function === 'codebuild:vouch-orders' && c.command === 'SendTaskHeartbeat')
      .map((c) => c.outcome);
    expect(heartbeats.slice(0, 3)).toEqual(['ThrottlingException', 'ThrottlingException', 'ok']);
  }, 60_000);

  it('reports a failing build command with SendTaskFailure from post_build', async () => {
    const t = await start({ timeScale: 20 });
    await t.builds.allocateVersion({ service: 'orders', commit: COMMIT, execution: 'twin-cb-2' });
    const machine = t.stepFunctions.machine('vouch-ec2-canary');
    const execution = `${machine.arn.replace(':stateMachine:', ':execution:')}:twin-cb-2`;
    const { token, waiting } = t.stepFunctions.issueToken(machine.arn, execution, 'build', 600);
    const build = t.lambdas.byEntry('lambdas/handlers/tasks/build.ts');

    await t.lambdas.invoke(
      build.arn,
      buildEvent('twin-cb-2', token, { command: 'exit 3', timeoutSeconds: 600 }),
    );

    await expect(waiting).rejects.toMatchObject({ name: 'CodeBuildFailedError' });
    expect((await t.codeBuild.builds[0]?.done)?.phases).toEqual([
      { name: 'DOWNLOAD_SOURCE', status: 'SUCCEEDED' },
      { name: 'INSTALL', status: 'SUCCEEDED' },
      { name: 'BUILD', status: 'FAILED' },
      { name: 'POST_BUILD', status: 'SUCCEEDED' },
    ]);
    // Nothing was uploaded for a failed build.
    await expect(t.s3.headObject(ARTIFACT_BUCKET, `orders/${COMMIT}.tar.gz`)).rejects.toMatchObject({
      name: 'NotFound',
    });
  }, 60_000);
});

describe('service registration on the twin', () => {
  it('the deploy registers every configured service in the build table (the templates’ service registry)', async () => {
    // Act: startTwin deploys the templates, custom resources included; nothing registers by hand.
    const t = await start();

    // Assess
    expect(t.customResources).toEqual([
      expect.objectContaining({ type: 'Custom::VouchServiceRegistry', status: 'SUCCESS' }),
    ]);
    expect(await t.builds.getService('orders')).toMatchObject({ ...ORDERS, lastVersion: 0 });
    expect((await t.builds.listServices()).map((s) => s.service).sort()).toEqual([
      'catalog',
      'orders',
      'orders-fn',
    ]);
    // So the version task of a first run allocates version 1 instead of refusing the service.
    const version = t.lambdas.byEntry('lambdas/handlers/tasks/version.ts');
    await expect(
      t.lambdas.invoke(version.arn, {
        task: { name: 'version', type: 'version', params: {} },
        run: { ...ordersRunInput(COMMIT, 'twin-reg-1'), out: {} },
      }),
    ).resolves.toMatchObject({ version: 1 });
  }, 60_000);

  it('fails the deploy naming the denied call when the registry’s role loses dynamodb:UpdateItem', async () => {
    const edited = withoutGrant(example.stacks, 'ServiceRegistryRoleDefaultPolicy', 'dynamodb:UpdateItem');

    await expect(startTwin({ stacks: edited })).rejects.toThrow(
      /deploy failed: custom resource Vouch\/ServiceRegistrations \(Custom::VouchServiceRegistry\) answered FAILED: .*dynamodb:UpdateItem on resource: arn:aws:dynamodb:eu-west-1:123456789012:table\//,
    );
  }, 60_000);
});

/** Datapoints of orders in qa over the three minutes before `now`: `latency` ms, one request each. */
function qaTraffic(t: Twin, now: number, latency: number) {
  const minute = 60_000;
  const start = Math.floor(now / minute) * minute - 3 * minute;
  for (let at = start; at < start + 3 * minute; at += 5_000) {
    for (const [name, value] of [
      ['requests', 1],
      ['failures', 0],
      ['latency', latency],
    ] as const) {
      t.cloudWatch.record(
        'Vouch',
        name,
        [
          { Name: 'service', Value: 'orders' },
          { Name: 'environment', Value: 'qa' },
        ],
        value,
        at,
      );
    }
  }
}

describe('alarms -> EventBridge -> alarm Lambda on the twin', () => {
  it('an alarm that goes to ALARM reaches the alarm Lambda through the rule’s pattern, which fails the open window', async () => {
    // Prepare: qa's window is open, its verify state holds the token.
    const t = await start();
    await t.builds.allocateVersion({ service: 'orders', commit: COMMIT, execution: 'twin-alarm-1' });
    const machine = t.stepFunctions.machine('vouch-ec2-canary');
    const executionArn = `${machine.arn.replace(':stateMachine:', ':execution:')}:twin-alarm-1`;
    const { token, waiting } = t.stepFunctions.issueToken(machine.arn, executionArn, 'verify-qa');
    const verify = t.lambdas.byEntry('lambdas/handlers/tasks/verify.ts');
    await t.lambdas.invoke(verify.arn, {
      task: { name: 'verify-qa', type: 'verify', params: { environment: 'qa' } },
      run: { ...ordersRunInput(COMMIT, 'twin-alarm-1'), out: { version: { version: 1, commit: COMMIT } } },
      token,
    });
    // Traffic and errors are fine; p99 latency is 2000 ms against the alarm's 800 ms.
    const now = Date.now();
    qaTraffic(t, now, 2000);

    // Act: CloudWatch's evaluation of the minute.
    const changes = t.cloudWatch.evaluateAlarms(now);
    await t.lambdas.settled();

    // Assess
    expect(changes).toContainEqual(
      expect.objectContaining({ alarm: 'vouch.orders.qa.latency', from: 'INSUFFICIENT_DATA', to: 'ALARM' }),
    );
    expect(changes).toContainEqual(expect.objectContaining({ alarm: 'vouch.orders.qa.traffic', to: 'OK' }));
    const alarmFn = t.lambdas.byEntry('lambdas/handlers/alarmEvent.ts');
    const delivered = t.eventBridge.deliveries.filter(
      (d) => (d.event.detail as { alarmName: string }).alarmName === 'vouch.orders.qa.latency',
    );
    expect(delivered).toEqual([expect.objectContaining({ target: alarmFn.arn })]);
    expect(t.lambdas.asyncFailures).toEqual([]);
    await expect(waiting).rejects.toThrow();
    expect(t.sdk.calls).toContainEqual({
      function: alarmFn.logicalId,
      service: 'states',
      command: 'SendTaskFailure',
      outcome: 'ok',
    });
  }, 60_000);

  it('a state change the rule’s pattern does not match reaches no Lambda', async () => {
    // Prepare: the same latency alarm under a name outside the rule's `vouch.` prefix.
    const copy = structuredClone(example.stacks);
    const orders = copy.find((s) => s.stackName === 'Vouch-orders');
    const alarm = orders?.template.Resources.Alarmsqalatency822E41E4;
    if (!orders || !alarm) throw new Error('no qa latency alarm in the orders stack');
    (orders.template.Resources as Record<string, unknown>).OpsQaLatency = {
      ...alarm,
      Properties: { ...alarm.Properties, AlarmName: 'ops.orders.qa.latency' },
    };
    const t = await start({ from: copy });
    const now = Date.now();
    qaTraffic(t, now, 2000);

    // Act
    const changes = t.cloudWatch.evaluateAlarms(now);
    await t.lambdas.settled();

    // Assess: both alarms went to ALARM and both events were put on the bus; only vouch.* was delivered.
    expect(changes.filter((c) => c.to === 'ALARM').map((c) => c.alarm)).toEqual(
      expect.arrayContaining(['vouch.orders.qa.latency', 'ops.orders.qa.latency']),
    );
    const named = (name: string) => (e: { detail?: unknown }) =>
      (e.detail as { alarmName: string }).alarmName === name;
    expect(t.eventBridge.events.filter(named('ops.orders.qa.latency'))).toHaveLength(1);
    expect(t.eventBridge.deliveries.map((d) => d.event).filter(named('ops.orders.qa.latency'))).toEqual([]);
    expect(
      t.eventBridge.deliveries.map((d) => d.event).filter(named('vouch.orders.qa.latency')),
    ).toHaveLength(1);
  }, 60_000);
});
