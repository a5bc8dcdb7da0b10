import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ListSchedulesCommand,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
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
