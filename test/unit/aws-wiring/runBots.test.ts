import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lastingBotSchedules } from '../../../lambdas/adapters/aws/evidence/lastingBotSchedules.ts';
import {
  runBotSchedulePrefix,
  runBotSchedules,
} from '../../../lambdas/adapters/aws/evidence/runBotSchedules.ts';
import { wirePorts } from '../../../lambdas/adapters/aws/pipeline/taskHandler.ts';
import { plannedBots } from '../../../lambdas/core/evidence/botSchedulePlan.ts';
import { BotRunEventSchema } from '../../../lambdas/core/evidence/events.ts';
import { BotsSpecSchema } from '../../../lambdas/core/evidence/spec.ts';
import type { JsonValue } from '../../../lambdas/core/pipeline/contract.ts';
import { createPipelineTasks } from '../../../lambdas/core/pipeline/tasks.ts';
import { environmentId, evidenceEnvironment, runKeyOf } from '../../../lambdas/core/target/naming.ts';
import type { DeployTarget, Environment } from '../../../lambdas/core/target/port.ts';
import { AFTER_VERSION, EXECUTION, SERVICE, taskEvent } from '../aws-pipeline/fixtures.ts';

const scheduler = mockClient(SchedulerClient);
afterEach(() => scheduler.reset());

const BOTS = BotsSpecSchema.parse({
  scenarios: [
    { name: 'browse', rate: { default: 80, test: 30 }, steps: [{ path: '/orders/1' }] },
    { name: 'checkout', rate: { default: 0.5 }, steps: [{ path: '/orders', method: 'POST' }] },
    { name: 'prod-only', rate: { prod: 5 }, steps: [{ path: '/' }] },
  ],
});
const CONFIG = { bots: JSON.parse(JSON.stringify(BOTS)) as JsonValue };
const RUN_HOST = 'https://shop-test-gh-delivery-42.test.example.com';

/** A deploy target that records provision calls; the test environment's host is the run's own. */
function fakeTarget() {
  const provisioned: string[] = [];
  const env = (name: string, ephemeral: boolean, runKey?: string): Environment => ({
    id: environmentId(SERVICE, name, runKey),
    service: SERVICE,
    name,
    ephemeral,
    tags: { service: SERVICE, team: 't', solution: 's' },
    proxyUrl: ephemeral ? RUN_HOST : `https://${name}.example.com`,
    createdAt: new Date().toISOString(),
  });
  const target = {
    provision: vi.fn(
      async (_service: string, name: string, options: { ephemeral: boolean; runKey?: string }) => {
        provisioned.push(name);
        return env(name, options.ephemeral, options.ephemeral ? options.runKey : undefined);
      },
    ),
    describe: vi.fn(async (e: Environment) => ({ environment: e, weight: 0, proxyUrl: e.proxyUrl })),
    deploy: vi.fn(async (_i: unknown, e: Environment) => ({
      environment: e,
      weight: 0,
      proxyUrl: e.proxyUrl,
      baseline: { version: 7, image: 'ami-1', instances: [] },
    })),
    destroy: vi.fn(async () => undefined),
  } as unknown as DeployTarget;
  return { target, provisioned, env };
}

const SCHEDULES = {
  groupName: 'vouch-run-bots',
  botFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:bot',
  roleArn: 'arn:aws:iam::111122223333:role/run-bots',
};

describe('which bots run for a new environment (plannedBots): one decision for every path', () => {
  it('keeps scenarios with a rate there, runs a rate above one a minute as that many runs per invocation', () => {
    const bots = plannedBots({ service: SERVICE, environment: 'test', baseUrl: RUN_HOST }, BOTS.scenarios);
    expect(bots.map((b) => [b.scenario.name, b.everyMinutes, b.input.runs])).toEqual([
      ['browse', 1, 30],
      ['checkout', 2, 1],
    ]);
    for (const bot of bots) expect(BotRunEventSchema.parse(bot.input).scenario).toEqual(bot.scenario);
  });
});

describe("defect 3: a run's test environment gets bot traffic on AWS, on the run's host", () => {
  it('deploy creates one schedule per scenario with the whole scenario and the per-run host; destroy deletes them', async () => {
    // Prepare
    const { target, env } = fakeTarget();
    scheduler.on(CreateScheduleCommand).resolves({});
    const tasks = createPipelineTasks(
      wirePorts('deploy', {
        target,
        builds: { recordTaskEvent: async () => undefined } as never,
        environmentBots: runBotSchedules(new SchedulerClient({ region: 'eu-west-1' }), SCHEDULES),
      }),
    );
    const provisioned = env('test', true, EXECUTION) as unknown as JsonValue;
    // Act
    const out = await tasks.deploy(
      taskEvent('deploy', {
        params: { environment: 'test', slot: 'baseline', weight: 100 },
        out: { ...AFTER_VERSION, bake: { id: 'ami-1' }, 'provision-test': provisioned },
        config: CONFIG,
      }),
    );
    // Assess
    expect(out).toMatchObject({ bots: ['browse', 'checkout'] });
    const calls = scheduler.commandCalls(CreateScheduleCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(2);
    const prefix = runBotSchedulePrefix(environmentId(SERVICE, 'test', EXECUTION));
    for (const call of calls) {
      expect(call).toMatchObject({
        GroupName: 'vouch-run-bots',
        Target: { Arn: SCHEDULES.botFunctionArn, RoleArn: SCHEDULES.roleArn },
      });
      expect(call.Name?.startsWith(prefix)).toBe(true);
      const event = BotRunEventSchema.parse(JSON.parse(String(call.Target?.Input)));
      // Filed under the run's evidence key, where its verification window and alarms look.
      expect(event).toMatchObject({
        service: SERVICE,
        environment: evidenceEnvironment('test', runKeyOf(EXECUTION)),
        baseUrl: RUN_HOST,
      });
    }
    expect(calls.map((c) => c.ScheduleExpression)).toEqual(['rate(1 minute)', 'rate(2 minutes)']);

    // Act: destroy finds them by the run's prefix and deletes them before the environment.
    scheduler.on(ListSchedulesCommand).resolves({
      Schedules: calls.map((c) => ({ Name: c.Name, GroupName: 'vouch-run-bots' })),
    });
    scheduler.on(DeleteScheduleCommand).resolves({});
    const destroyTasks = createPipelineTasks(
      wirePorts('destroy', {
        target,
        builds: { recordTaskEvent: async () => undefined } as never,
        environmentBots: runBotSchedules(new SchedulerClient({ region: 'eu-west-1' }), {
          groupName: 'vouch-run-bots',
        }),
      }),
    );
    const destroyed = await destroyTasks.destroy(
      taskEvent('destroy', { params: { environment: 'test' }, config: CONFIG }),
    );
    // Assess
    expect(scheduler).toReceiveCommandWith(ListSchedulesCommand, {
      GroupName: 'vouch-run-bots',
      NamePrefix: prefix,
    });
    expect(
      scheduler
        .commandCalls(DeleteScheduleCommand)
        .map((c) => c.args[0].input.Name)
        .sort(),
    ).toEqual(calls.map((c) => c.Name).sort());
    expect(destroyed).toMatchObject({ botsStopped: calls.map((c) => c.Name) });
  });

  it('a lasting environment keeps the service stack schedules: deploy creates none', async () => {
    const { target } = fakeTarget();
    const tasks = createPipelineTasks(
      wirePorts('deploy', {
        target,
        // The run holds qa's lock (issue 12: a lasting environment is acted on only by its holder).
        builds: {
          recordTaskEvent: async () => undefined,
          renewLock: async () => true,
          whereRuns: async () => ({}),
        } as never,
        environmentBots: runBotSchedules(new SchedulerClient({ region: 'eu-west-1' }), SCHEDULES),
      }),
    );
    await tasks.deploy(
      taskEvent('deploy', {
        params: { slot: 'canary', weight: 0 },
        item: { name: 'qa' },
        out: { ...AFTER_VERSION, bake: { id: 'ami-1' } },
        config: CONFIG,
      }),
    );
    expect(scheduler).toReceiveCommandTimes(CreateScheduleCommand, 0);
  });
});

describe('issue 13: qa and prod bots start at the first deploy there, as on one machine', () => {
  const GROUP = 'vouch-shop-bots';
  const target = {
    Arn: 'arn:aws:lambda:eu-west-1:111122223333:function:bot',
    RoleArn: 'arn:aws:iam::111122223333:role/vouch-shop-bot-scheduler',
    Input: '{"scenario":"browse"}',
    RetryPolicy: { MaximumRetryAttempts: 0 },
  };
  /** The service stack's schedule of a scenario in qa, as GetSchedule returns it. */
  const stackSchedule = (scenario: string, state: 'ENABLED' | 'DISABLED') => ({
    Name: `qa-${scenario}`,
    GroupName: GROUP,
    ScheduleExpression: 'rate(1 minute)',
    Description: `Vouch bot ${scenario} against shop in qa`,
    FlexibleTimeWindow: { Mode: 'OFF' as const },
    Target: target,
    State: state,
  });

  it('deploy switches on the disabled stack schedules of the planned bots, whole, and leaves running ones be', async () => {
    // Prepare: browse's schedule is still disabled, checkout's already runs; prod-only has no qa rate.
    const { target: deployTarget } = fakeTarget();
    scheduler
      .on(GetScheduleCommand, { Name: 'qa-browse', GroupName: GROUP })
      .resolves(stackSchedule('browse', 'DISABLED'))
      .on(GetScheduleCommand, { Name: 'qa-checkout', GroupName: GROUP })
      .resolves(stackSchedule('checkout', 'ENABLED'));
    scheduler.on(UpdateScheduleCommand).resolves({ ScheduleArn: 'arn' });
    const tasks = createPipelineTasks(
      wirePorts('deploy', {
        target: deployTarget,
        builds: {
          recordTaskEvent: async () => undefined,
          renewLock: async () => true,
          whereRuns: async () => ({}),
        } as never,
        environmentBots: runBotSchedules(new SchedulerClient({ region: 'eu-west-1' }), SCHEDULES),
        lastingBots: lastingBotSchedules(new SchedulerClient({ region: 'eu-west-1' })),
      }),
    );

    // Act
    const out = await tasks.deploy(
      taskEvent('deploy', {
        params: { slot: 'canary', weight: 0 },
        item: { name: 'qa' },
        out: { ...AFTER_VERSION, bake: { id: 'ami-1' } },
        config: CONFIG,
      }),
    );

    // Assess: only browse is updated, with everything it had and State ENABLED; no per-run schedule.
    expect(out).toMatchObject({ botsEnabled: ['browse'] });
    expect(scheduler.commandCalls(GetScheduleCommand).map((c) => c.args[0].input.Name)).toEqual([
      'qa-browse',
      'qa-checkout',
    ]);
    expect(scheduler.commandCalls(UpdateScheduleCommand).map((c) => c.args[0].input)).toEqual([
      {
        Name: 'qa-browse',
        GroupName: GROUP,
        ScheduleExpression: 'rate(1 minute)',
        Description: 'Vouch bot browse against shop in qa',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: target,
        State: 'ENABLED',
      },
    ]);
    expect(scheduler).toReceiveCommandTimes(CreateScheduleCommand, 0);
  });

  it('a scenario the service stack has no schedule for yet is skipped', async () => {
    // Prepare
    scheduler.on(GetScheduleCommand).rejects(
      new ResourceNotFoundException({
        message: 'Schedule qa-browse does not exist.',
        Message: 'Schedule qa-browse does not exist.',
        $metadata: {},
      }),
    );
    const { env } = fakeTarget();
    // Act
    const enabled = await lastingBotSchedules(new SchedulerClient({ region: 'eu-west-1' })).enable(
      env('qa', false),
      BOTS.scenarios,
    );
    // Assess
    expect(enabled).toEqual([]);
    expect(scheduler).toReceiveCommandTimes(GetScheduleCommand, 2);
    expect(scheduler).toReceiveCommandTimes(UpdateScheduleCommand, 0);
  });
});

describe('risk: later tasks do not provision the test environment again', () => {
  it('bots tasks running in parallel use the environment provision recorded', async () => {
    const { target, provisioned, env } = fakeTarget();
    const tasks = createPipelineTasks(
      wirePorts('bots', {
        target,
        builds: { recordTaskEvent: async () => undefined } as never,
        bots: { runOnce: async () => ({ requests: 3, failures: 0, report: {} }) },
      }),
    );
    const out = { ...AFTER_VERSION, 'provision-test': env('test', true, EXECUTION) as unknown as JsonValue };
    await Promise.all(
      ['functional', 'load'].map((mode) =>
        tasks.bots(taskEvent('bots', { name: `${mode}-tests`, params: { environment: 'test', mode }, out })),
      ),
    );
    expect(provisioned).toEqual([]);
  });
});
