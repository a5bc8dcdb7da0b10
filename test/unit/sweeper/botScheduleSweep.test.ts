// Bot schedules whose test environment is gone (botScheduleSweep.ts): listed in the run-bots group,
// owned by the environment their input names only when the schedule's name proves it (the prefix is
// that environment id's hash), removed by DeleteSchedule; a present environment's are left to it.
import {
  DeleteScheduleCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  ResourceNotFoundException,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { runBotSchedulePrefix } from '../../../lambdas/adapters/aws/evidence/runBotSchedules.ts';
import { parseReconcileRegistry } from '../../../lambdas/adapters/aws/reconcile/registry.ts';
import { orphanedBotSchedules } from '../../../lambdas/adapters/aws/sweeper/botScheduleSweep.ts';
import { sweep } from '../../../lambdas/core/sweeper/sweep.ts';

const scheduler = mockClient(SchedulerClient);
afterEach(() => scheduler.reset());

const NOW = new Date('2026-12-02T12:00:00Z');
const GROUP = 'vouch-run-bots';
const CREATED = new Date('2026-12-02T10:00:00Z');
const SERVICES = parseReconcileRegistry(
  JSON.stringify([
    {
      service: 'orders',
      team: 'checkout',
      flavour: 'ec2-canary',
      // Two ephemeral environments, one name a prefix of the other: `test-eu-r1` reads both ways.
      environments: [
        { name: 'test', ephemeral: true },
        { name: 'test-eu', ephemeral: true },
        { name: 'qa', ephemeral: false },
      ],
    },
  ]),
);
const input = (service: string, environment: string) =>
  JSON.stringify({ service, environment, baseUrl: 'https://x.example.com', scenario: { name: 'browse' } });

/** Schedules of the group, each with its input, served by ListSchedules (two pages) and GetSchedule. */
function group(schedules: { name: string; input: string }[]) {
  const summaries = schedules.map((s) => ({ Name: s.name, GroupName: GROUP, CreationDate: CREATED }));
  scheduler
    .on(ListSchedulesCommand)
    .resolves({ Schedules: summaries.slice(0, 2), NextToken: 'page-2' })
    .on(ListSchedulesCommand, { NextToken: 'page-2' })
    .resolves({ Schedules: summaries.slice(2) });
  scheduler.on(GetScheduleCommand).callsFake((i: { Name: string }) => {
    const s = schedules.find((x) => x.name === i.Name);
    if (!s) throw new ResourceNotFoundException({ message: 'gone', Message: 'gone', $metadata: {} });
    return {
      Name: s.name,
      GroupName: GROUP,
      Target: { Arn: 'arn:bot', RoleArn: 'arn:role', Input: s.input },
    };
  });
}

const sweeper = () =>
  orphanedBotSchedules({
    scheduler: new SchedulerClient({ region: 'eu-west-1' }),
    groupName: GROUP,
    services: SERVICES,
  });

describe('orphanedBotSchedules', () => {
  it('finds the schedules whose name proves the ephemeral environment their input names, and only those', async () => {
    // Prepare
    const of = (id: string) => `${runBotSchedulePrefix(id)}browse`;
    group([
      { name: of('orders.test.r1'), input: input('orders', 'test-r1') },
      // Read as test / eu-r1 or as test-eu / r1: the name's hash says which.
      { name: of('orders.test-eu.r1'), input: input('orders', 'test-eu-r1') },
      // Named after one environment, its input another's: not provably anybody's.
      { name: of('orders.test.r2'), input: input('orders', 'test-r3') },
      // qa is lasting (its schedules are the service stack's, in its own group), payments unregistered.
      { name: of('orders.qa'), input: input('orders', 'qa') },
      { name: of('payments.test.r1'), input: input('payments', 'test-r1') },
      { name: `${runBotSchedulePrefix('orders.test.r4')}raw`, input: 'not json' },
    ]);

    // Act
    const found = await sweeper().inventory(new Set());

    // Assess
    expect(found).toEqual([
      {
        kind: 'schedule',
        id: of('orders.test.r1'),
        service: 'orders',
        environment: 'test',
        runKey: 'r1',
        createdAt: CREATED.toISOString(),
      },
      {
        kind: 'schedule',
        id: of('orders.test-eu.r1'),
        service: 'orders',
        environment: 'test-eu',
        runKey: 'r1',
        createdAt: CREATED.toISOString(),
      },
    ]);
    expect(scheduler).toReceiveCommandWith(ListSchedulesCommand, { GroupName: GROUP, NamePrefix: 'vb-' });
  });

  it('leaves a present environment’s schedules to it without reading them, and skips one deleted meanwhile', async () => {
    // Prepare: r1's environment is present; r2's schedule is listed but deleted before GetSchedule.
    const r1 = `${runBotSchedulePrefix('orders.test.r1')}browse`;
    group([{ name: r1, input: input('orders', 'test-r1') }]);
    scheduler.on(ListSchedulesCommand).resolves({
      Schedules: [
        { Name: r1, CreationDate: CREATED },
        { Name: `${runBotSchedulePrefix('orders.test.r2')}browse`, CreationDate: CREATED },
      ],
    });

    // Act
    const found = await sweeper().inventory(new Set(['orders.test.r1']));

    // Assess
    expect(found).toEqual([]);
    expect(scheduler.commandCalls(GetScheduleCommand).map((c) => c.args[0].input.Name)).toEqual([
      `${runBotSchedulePrefix('orders.test.r2')}browse`,
    ]);
  });

  it('deletes a schedule from the run-bots group; one already gone is done, any other error is not', async () => {
    // Prepare
    const schedule = { kind: 'schedule' as const, service: 'orders', createdAt: CREATED.toISOString() };
    scheduler
      .on(DeleteScheduleCommand, { Name: 'vb-gone' })
      .rejects(new ResourceNotFoundException({ message: 'gone', Message: 'gone', $metadata: {} }))
      .on(DeleteScheduleCommand, { Name: 'vb-throttled' })
      .rejects(new Error('Rate exceeded'))
      .on(DeleteScheduleCommand, { Name: 'vb-here' })
      .resolves({});
    const s = sweeper();

    // Act / Assess
    await s.remove({ ...schedule, id: 'vb-here' });
    await s.remove({ ...schedule, id: 'vb-gone' });
    await expect(s.remove({ ...schedule, id: 'vb-throttled' })).rejects.toThrow('Rate exceeded');
    expect(scheduler).toReceiveCommandWith(DeleteScheduleCommand, { Name: 'vb-here', GroupName: GROUP });
  });

  it('through a sweep: removes an ended run’s orphaned schedule, keeps a running run’s', async () => {
    // Prepare
    const of = (runKey: string) => `${runBotSchedulePrefix(`orders.test.${runKey}`)}browse`;
    group([
      { name: of('ended'), input: input('orders', 'test-ended') },
      { name: of('live'), input: input('orders', 'test-live') },
    ]);
    scheduler.on(DeleteScheduleCommand).resolves({});
    const s = sweeper();

    // Act
    const report = await sweep({
      inventory: () => s.inventory(new Set()),
      remove: s.remove,
      running: async () => ({ runKeys: new Set(['live']) }),
      record: async () => undefined,
      now: () => NOW,
    });

    // Assess
    expect(report.removed.map((d) => [d.resource.id, d.reason])).toEqual([
      [of('ended'), 'its run ended ended'],
    ]);
    expect(report.kept).toBe(1);
    expect(scheduler.commandCalls(DeleteScheduleCommand).map((c) => c.args[0].input.Name)).toEqual([
      of('ended'),
    ]);
  });
});
