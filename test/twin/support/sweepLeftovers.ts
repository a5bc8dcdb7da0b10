/**
 * What interrupted runs leave, seeded straight into the twin's fakes (no release runs): an EC2 test
 * environment with its instance, target groups, rule, bot schedule and alarms; AMIs with their
 * snapshots; a bake's builder instance; a bot schedule and alarms whose test environment is gone; a
 * Lambda test alias with its URL; function versions; canaries in qa that stopped runs left under
 * their locks; beside a running run's own of each. For the scheduled sweeper's test (reconcileBuilder.test.ts).
 */
import { putMetricAlarmInput } from '../../../lambdas/adapters/aws/evidence/runAlarms.ts';
import { runBotSchedulePrefix } from '../../../lambdas/adapters/aws/evidence/runBotSchedules.ts';
import { executionArnOf } from '../../../lambdas/adapters/aws/reconcile/deployedReconcile.ts';
import {
  ephemeralHost,
  ephemeralTargetGroupNames,
} from '../../../lambdas/adapters/aws/target/Ec2DeployTarget.ts';
import { alarmDefinitions } from '../../../lambdas/core/evidence/alarms.ts';
import { plannedBots } from '../../../lambdas/core/evidence/botSchedulePlan.ts';
import { AlarmsSpecSchema, BotsSpecSchema } from '../../../lambdas/core/evidence/spec.ts';
import type { SweepReport } from '../../../lambdas/core/sweeper/sweep.ts';
import { environmentId, evidenceEnvironment, runKeyOf } from '../../../lambdas/core/target/naming.ts';
import type { TwinExecution } from '../../../lambdas/twin/stepFunctions.ts';
import type { Twin } from '../../../lambdas/twin/TwinPlatform.ts';
import { invokeTask, lambdaRun } from './lambdaRun.ts';
import { ordersRunInput } from './twinFixture.ts';

const HOUR = 3_600_000;
/** The example config's listener (examples/platform.yml). */
const LISTENER =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/vouch-services/0123456789abcdef/0123456789abcdef';
const COST = { service: 'orders', team: 'checkout', solution: 'webshop' };
export const ENDED = 'twin-sweep-ended';
export const RUNNING = 'twin-sweep-running';
export const FN_ENDED = 'twin-sweep-fn-ended';
export const FN_RUNNING = 'twin-sweep-fn-running';
/** A run of orders that ended after its test environment was removed, but not its bot schedule and alarms. */
export const GONE = 'twin-sweep-gone';
const ENDED_COMMIT = '1'.repeat(40);
const RUNNING_COMMIT = '2'.repeat(40);
const BOTS = BotsSpecSchema.parse({
  scenarios: [{ name: 'browse', rate: { default: 0.2 }, steps: [{ path: '/orders/1' }] }],
});

/** A RUNNING execution of a state machine, as Step Functions answers DescribeExecution for it. */
function runningExecution(t: Twin, machineName: string, name: string): void {
  const machine = t.stepFunctions.machine(machineName);
  const arn = executionArnOf(machine.arn, name);
  const execution: TwinExecution = {
    arn,
    name,
    machine,
    input: {},
    startDate: new Date(),
    status: 'RUNNING',
    events: [],
    done: new Promise<TwinExecution>((resolve) => queueMicrotask(() => resolve(execution))),
    abort() {
      execution.status = 'ABORTED';
    },
  };
  t.stepFunctions.executions.set(arn, execution);
}

/** What provision and deploy leave of a run's EC2 test environment: two target groups, a rule, an instance. */
async function ec2TestEnvironment(t: Twin, execution: string, image: string, createdAt: number) {
  const id = `orders.test.${runKeyOf(execution)}`;
  const elb = t.elb.fake();
  const base = {
    ...COST,
    environment: 'test',
    'vouch:environment-id': id,
    'vouch:created-at': new Date(createdAt).toISOString(),
  };
  const tags = (more: Record<string, string>) =>
    Object.entries({ ...base, ...more }).map(([Key, Value]) => ({ Key, Value }));
  const names = ephemeralTargetGroupNames(id);
  const arns: string[] = [];
  for (const [name, slot] of [
    [names.a, 'baseline'],
    [names.b, 'canary'],
  ] as const) {
    const created = (await elb.handle(
      'CreateTargetGroup',
      { Name: name, Port: 8080, Tags: tags({ 'vouch:slot': slot }) },
      { command: {}, client: {} },
    )) as { TargetGroups: { TargetGroupArn: string }[] };
    arns.push(created.TargetGroups[0]?.TargetGroupArn ?? '');
  }
  await elb.handle(
    'CreateRule',
    {
      ListenerArn: LISTENER,
      Priority: 500 + t.elb.rules.size,
      Conditions: [
        { Field: 'host-header', HostHeaderConfig: { Values: [ephemeralHost(id, 'test.example.com')] } },
      ],
      Actions: [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: arns[0], Weight: 100 },
              { TargetGroupArn: arns[1], Weight: 0 },
            ],
          },
        },
      ],
      Tags: tags({}),
    },
    { command: {}, client: {} },
  );
  const instance = seedInstance(t, id, 'baseline', image, createdAt);
  t.elb.targetGroups.get(arns[0] ?? '')?.targets.add(instance);
  return { id, arns, instance };
}

/**
 * A run's bot schedule in the run-bots group, as the deploy task's runBotSchedules creates it (its
 * group, bot function and role are the deploy task's): every 5 minutes (0.2 a minute), so it does
 * not fire during the test.
 */
async function seedBotSchedule(
  t: Twin,
  service: string,
  name: string,
  runKey: string,
  createdAt: number,
): Promise<string> {
  const deploy = [...t.lambdas.functions.values()].find(
    (f) => f.environment.POWERTOOLS_SERVICE_NAME === 'vouch-task-deploy',
  );
  if (!deploy) throw new Error('the twin has no vouch-task-deploy');
  const id = environmentId(service, name, runKey);
  const [bot] = plannedBots(
    {
      service,
      environment: name,
      baseUrl: `https://${runKey}.test.example.com`,
      evidenceEnvironment: evidenceEnvironment(name, runKey),
    },
    BOTS.scenarios,
  );
  if (!bot) throw new Error('the bots plan no schedule');
  const schedule = `${runBotSchedulePrefix(id)}${bot.scenario.name}`;
  await t.scheduler.fake().handle(
    'CreateSchedule',
    {
      Name: schedule,
      GroupName: deploy.environment.VOUCH_RUN_BOT_SCHEDULE_GROUP,
      Description: `Vouch bot ${bot.scenario.name} against ${id} (deleted by its run's destroy)`,
      ScheduleExpression: `rate(${bot.everyMinutes} minutes)`,
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: deploy.environment.VOUCH_BOT_FUNCTION_ARN,
        RoleArn: deploy.environment.VOUCH_BOT_ROLE_ARN,
        Input: JSON.stringify(bot.input),
      },
    },
    { command: {}, client: {} },
  );
  const created = t.scheduler.find(deploy.environment.VOUCH_RUN_BOT_SCHEDULE_GROUP ?? '', schedule);
  if (!created) throw new Error(`the twin did not keep schedule ${schedule}`);
  created.createdAt = createdAt;
  return schedule;
}

/**
 * A run's alarms as provision's cloudWatchRunAlarms puts them (the default alarms section): named by
 * its evidence key, tagged with its cost tags, environment and environment id; put at `configuredAt`.
 */
async function seedRunAlarms(
  t: Twin,
  service: string,
  name: string,
  runKey: string,
  configuredAt: number,
): Promise<string[]> {
  const tags = { ...COST, environment: name, 'vouch:environment-id': environmentId(service, name, runKey) };
  const definitions = alarmDefinitions(
    AlarmsSpecSchema.parse({}),
    service,
    evidenceEnvironment(name, runKey),
  );
  for (const d of definitions) {
    await t.cloudWatch
      .fake()
      .handle('PutMetricAlarm', { ...putMetricAlarmInput(d, tags) }, { command: {}, client: {} });
    const alarm = t.cloudWatch.alarms.get(d.name);
    if (!alarm) throw new Error(`the twin did not keep alarm ${d.name}`);
    alarm.configuredAt = configuredAt;
  }
  return definitions.map((d) => d.name);
}

/** A builder bake launched for `commit` of orders (Ec2DeployTarget.startBuilder's tags), still up. */
function seedBuilder(t: Twin, commit: string, launchedAt: number): string {
  const id = `i-0build${t.ec2.instances.size.toString(16).padStart(10, '0')}`;
  t.ec2.instances.set(id, {
    id,
    imageId: 'ami-base',
    launchedAt,
    builder: true,
    tags: {
      ...COST,
      environment: 'build',
      Name: 'vouch-builder-orders',
      'vouch:role': 'builder',
      'vouch:image-id': `content-of-${commit.slice(0, 8)}`,
      commit,
    },
  });
  return id;
}

function seedInstance(t: Twin, environmentId: string, slot: string, image: string, launchedAt: number) {
  const id = `i-0sweep${t.ec2.instances.size.toString(16).padStart(10, '0')}`;
  t.ec2.instances.set(id, {
    id,
    imageId: `ami-of-${image}`,
    launchedAt,
    builder: false,
    tags: {
      ...COST,
      'vouch:environment-id': environmentId,
      'vouch:slot': slot,
      'vouch:image-id': image,
      version: '1',
    },
  });
  return id;
}

/** AMIs bake left, with their snapshots, one an hour: image-1 the oldest. */
function seedImages(t: Twin, count: number, newest: number, versionOf: (n: number) => number) {
  for (let n = 1; n <= count; n++) {
    const tags = { ...COST, 'vouch:image-id': `image-${n}`, version: String(versionOf(n)) };
    const createdAt = newest - (count - n) * HOUR;
    t.ec2.snapshots.set(`snap-0sweep${n}`, { id: `snap-0sweep${n}`, createdAt, tags });
    t.ec2.images.set(`ami-of-image-${n}`, {
      id: `ami-of-image-${n}`,
      snapshotId: `snap-0sweep${n}`,
      name: `orders-${n}`,
      createdAt,
      tags,
    });
  }
}

const slots = (s: object) => `vouch:${JSON.stringify(s)}`;

/** Everything a sweep should find (see each seed's comment); what the test checks afterwards. */
export async function seedLeftovers(t: Twin) {
  const old = Date.now() - 10 * HOUR;
  // Runs of orders (EC2): one ended without its cleanup (its execution is gone), one running.
  await invokeTask(t, '', 'version', {}, { ...ordersRunInput(ENDED_COMMIT, ENDED), out: {} });
  const running = (await invokeTask(
    t,
    '',
    'version',
    {},
    { ...ordersRunInput(RUNNING_COMMIT, RUNNING), out: {} },
  )) as { version: number };
  runningExecution(t, 'vouch-ec2-canary', RUNNING);
  // Nine AMIs: image-1 the running run baked (its version), image-2 qa serves, image-9 a stopped
  // canary in qa runs, image-8 the running run's test environment runs; of the rest (the ended run's
  // test environment ran image-7) the newest three stay, image-3 and image-4 go.
  seedImages(t, 9, old, (n) => (n === 1 ? running.version : 100 + n));
  const ended = await ec2TestEnvironment(t, ENDED, 'image-7', old);
  const kept = await ec2TestEnvironment(t, RUNNING, 'image-8', old);
  // Their bot schedules (the ended environment's go with it); and the schedule of a run whose
  // environment was removed without it: orphaned, firing at nothing.
  const schedules = {
    ended: await seedBotSchedule(t, 'orders', 'test', runKeyOf(ENDED), old),
    kept: await seedBotSchedule(t, 'orders', 'test', runKeyOf(RUNNING), old),
    orphan: await seedBotSchedule(t, 'orders', 'test', runKeyOf(GONE), old),
  };
  // Their alarms likewise (the ended environment's go with it), and the alarms of the run whose
  // environment was removed without them.
  const alarms = {
    ended: await seedRunAlarms(t, 'orders', 'test', runKeyOf(ENDED), old),
    kept: await seedRunAlarms(t, 'orders', 'test', runKeyOf(RUNNING), old),
    orphan: await seedRunAlarms(t, 'orders', 'test', runKeyOf(GONE), old),
  };
  // Builders: the ended run was stopped during its bake; the running run bakes the same way now.
  const builders = { ended: seedBuilder(t, ENDED_COMMIT, old), running: seedBuilder(t, RUNNING_COMMIT, old) };
  // qa: its baseline on image-2; a canary on image-9 at 20 %, left by the ended run that holds the lock.
  const qaGroups = [...t.elb.targetGroups.values()].filter(
    (g) => g.tags['vouch:environment-id'] === 'orders.qa',
  );
  const qaRule = [...t.elb.rules.values()].find((r) => r.tags['vouch:environment-id'] === 'orders.qa');
  const group = (slot: string) => qaGroups.find((g) => g.tags['vouch:slot'] === slot);
  group('baseline')?.targets.add(seedInstance(t, 'orders.qa', 'baseline', 'image-2', old));
  const qaCanary = seedInstance(t, 'orders.qa', 'canary', 'image-9', old);
  group('canary')?.targets.add(qaCanary);
  if (qaRule)
    qaRule.actions = [
      {
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: group('baseline')?.arn, Weight: 80 },
            { TargetGroupArn: group('canary')?.arn, Weight: 20 },
          ],
        },
      },
    ];
  await t.builds.acquireLock({ service: 'orders', environment: 'qa', owner: ENDED, ttlSeconds: 3600 });

  // Runs of orders-fn (Lambda): one ended, one running that published version 12 since it started.
  await lambdaRun(t, '3'.repeat(40), FN_ENDED, {});
  await lambdaRun(t, '4'.repeat(40), FN_RUNNING, {});
  runningExecution(t, 'vouch-lambda-canary', FN_RUNNING);
  const fn = t.lambdaService.functions.get('orders-fn');
  if (!fn) throw new Error('the twin has no orders-fn');
  for (let v = 1; v <= 12; v++) {
    const publishedAt = v === 12 ? Date.now() + 1000 : old + v * 60_000;
    fn.versions.set(String(v), { version: String(v), codeSha256: `sha-${v}`, codeSize: 1, publishedAt });
  }
  fn.lastVersion = 12;
  const since = new Date(old).toISOString();
  // qa on 5 with a canary (8) the ended run left under its lock; prod on 1 with the running run's canary (9).
  fn.aliases.set('qa', {
    version: '5',
    weights: { '8': 0.2 },
    description: slots({ baseline: { version: '5', since }, canary: { version: '8', since } }),
  });
  fn.aliases.set('prod', {
    version: '1',
    weights: { '9': 0.1 },
    description: slots({ baseline: { version: '1', since }, canary: { version: '9', since } }),
  });
  await t.builds.acquireLock({ service: 'orders-fn', environment: 'qa', owner: FN_ENDED, ttlSeconds: 3600 });
  await t.builds.acquireLock({
    service: 'orders-fn',
    environment: 'prod',
    owner: FN_RUNNING,
    ttlSeconds: 3600,
  });
  // Test aliases: the ended run's on 10, the running run's on 11, each with its URL.
  for (const [execution, version] of [
    [FN_ENDED, '10'],
    [FN_RUNNING, '11'],
  ] as const) {
    const alias = `test-${runKeyOf(execution)}`;
    fn.aliases.set(alias, { version, weights: {}, description: slots({ created: since }) });
    fn.urls.set(alias, {
      url: `https://orders-fn-${alias}.lambda-url.eu-west-1.on.aws/`,
      authType: 'AWS_IAM',
    });
  }
  return { ended, kept, qaCanary, schedules, alarms, builders };
}

export async function runSweeper(t: Twin): Promise<SweepReport> {
  const sweeper = t.lambdas.byEntry('lambdas/handlers/sweeper.ts');
  return (await t.lambdas.invoke(sweeper.arn, {})) as SweepReport;
}
