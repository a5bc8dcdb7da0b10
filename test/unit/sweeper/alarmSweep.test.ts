// Per-run alarms whose test environment is gone (alarmSweep.ts): listed by each ephemeral
// environment's name prefix, owned by the run their vouch:environment-id tag names when the name
// agrees, removed by DeleteAlarms; a present environment's are left to it. Through a sweep, the core's
// rule decides: swept once its run ended, kept while its run runs or within the grace period.
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  ListTagsForResourceCommand,
  ResourceNotFound,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { parseReconcileRegistry } from '../../../lambdas/adapters/aws/reconcile/registry.ts';
import { orphanedRunAlarms } from '../../../lambdas/adapters/aws/sweeper/alarmSweep.ts';
import { sweep } from '../../../lambdas/core/sweeper/sweep.ts';

const cloudWatch = mockClient(CloudWatchClient);
afterEach(() => cloudWatch.reset());

const NOW = new Date('2026-12-02T12:00:00Z');
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000);
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
const ARN = 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:';

interface SeededAlarm {
  readonly name: string;
  /** Its vouch:environment-id tag; none when undefined. */
  readonly environmentId?: string;
  readonly hours: number;
}

/**
 * The account's alarms, served as CloudWatch does: DescribeAlarms by name prefix, two to a page;
 * ListTagsForResource by ARN (ResourceNotFoundException for one deleted since). Returns each
 * DescribeAlarms request as it was sent (the SDK's paginator reuses one input object).
 */
function account(alarms: SeededAlarm[]) {
  const listings: { prefix?: string; next?: string; types?: string }[] = [];
  cloudWatch
    .on(DescribeAlarmsCommand)
    .callsFake((input: { AlarmNamePrefix?: string; NextToken?: string; AlarmTypes?: string[] }) => {
      listings.push({
        prefix: input.AlarmNamePrefix,
        next: input.NextToken,
        types: input.AlarmTypes?.join(),
      });
      const matching = alarms.filter((a) => a.name.startsWith(input.AlarmNamePrefix ?? ''));
      const from = Number(input.NextToken ?? 0);
      const page = matching.slice(from, from + 2);
      return {
        MetricAlarms: page.map((a) => ({
          AlarmName: a.name,
          AlarmArn: `${ARN}${a.name}`,
          AlarmConfigurationUpdatedTimestamp: hoursAgo(a.hours),
        })),
        ...(from + 2 < matching.length ? { NextToken: String(from + 2) } : {}),
      };
    });
  cloudWatch.on(ListTagsForResourceCommand).callsFake((input: { ResourceARN: string }) => {
    const alarm = alarms.find((a) => `${ARN}${a.name}` === input.ResourceARN);
    if (!alarm) throw new ResourceNotFoundException({ message: 'gone', $metadata: {} });
    return {
      Tags: [
        { Key: 'service', Value: 'orders' },
        ...(alarm.environmentId ? [{ Key: 'vouch:environment-id', Value: alarm.environmentId }] : []),
      ],
    };
  });
  return listings;
}

const sweeper = () =>
  orphanedRunAlarms({ cloudWatch: new CloudWatchClient({ region: 'eu-west-1' }), services: SERVICES });

describe('orphanedRunAlarms', () => {
  it('finds the alarms whose tag names an ephemeral environment of a registered service that their name is of, and only those', async () => {
    // Prepare
    const listings = account([
      { name: 'vouch.orders.test-r1.latency', environmentId: 'orders.test.r1', hours: 2 },
      { name: 'vouch.orders.test-r1.errorRate', environmentId: 'orders.test.r1', hours: 2 },
      // Read as test / eu-r1 or as test-eu / r1: the tag says which.
      { name: 'vouch.orders.test-eu-r1.latency', environmentId: 'orders.test-eu.r1', hours: 2 },
      // Tagged as another run's than its name says: not provably anybody's.
      { name: 'vouch.orders.test-r2.latency', environmentId: 'orders.test.r3', hours: 2 },
      // Untagged: not put by provision.
      { name: 'vouch.orders.test-r4.latency', hours: 2 },
      // Tagged with a lasting environment's id.
      { name: 'vouch.orders.test-r5.latency', environmentId: 'orders.qa', hours: 2 },
    ]);

    // Act
    const found = await sweeper().inventory(new Set());

    // Assess
    const alarm = (id: string, environment: string, runKey: string) => ({
      kind: 'alarm',
      id,
      service: 'orders',
      environment,
      runKey,
      createdAt: hoursAgo(2).toISOString(),
    });
    expect(found).toEqual([
      alarm('vouch.orders.test-r1.latency', 'test', 'r1'),
      alarm('vouch.orders.test-r1.errorRate', 'test', 'r1'),
      alarm('vouch.orders.test-eu-r1.latency', 'test-eu', 'r1'),
    ]);
    // Listed per ephemeral environment, every page; never the lasting environments' (qa's).
    const metric = 'MetricAlarm';
    expect(listings).toEqual([
      { prefix: 'vouch.orders.test-', next: undefined, types: metric },
      { prefix: 'vouch.orders.test-', next: '2', types: metric },
      { prefix: 'vouch.orders.test-', next: '4', types: metric },
      { prefix: 'vouch.orders.test-eu-', next: undefined, types: metric },
    ]);
    // The alarm both prefixes list is read once.
    expect(cloudWatch).toReceiveCommandTimes(ListTagsForResourceCommand, 6);
  });

  it('leaves a present environment’s alarms to it without reading them, and skips one deleted meanwhile', async () => {
    // Prepare: r1's environment is present; r2's alarm is listed but deleted before its tags are read.
    account([{ name: 'vouch.orders.test-r1.latency', environmentId: 'orders.test.r1', hours: 2 }]);
    cloudWatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: ['vouch.orders.test-r1.latency', 'vouch.orders.test-r2.latency'].map((name) => ({
        AlarmName: name,
        AlarmArn: `${ARN}${name}`,
        AlarmConfigurationUpdatedTimestamp: hoursAgo(2),
      })),
    });

    // Act
    const found = await sweeper().inventory(new Set(['orders.test.r1']));

    // Assess
    expect(found).toEqual([]);
    expect(
      cloudWatch.commandCalls(ListTagsForResourceCommand).map((c) => c.args[0].input.ResourceARN),
    ).toEqual([`${ARN}vouch.orders.test-r2.latency`]);
  });

  it('deletes one alarm by name; one already gone is done, any other error is not', async () => {
    // Prepare
    const alarm = { kind: 'alarm' as const, service: 'orders', createdAt: hoursAgo(2).toISOString() };
    cloudWatch
      .on(DeleteAlarmsCommand, { AlarmNames: ['vouch.orders.test-gone.latency'] })
      .rejects(new ResourceNotFound({ message: 'gone', $metadata: {} }))
      .on(DeleteAlarmsCommand, { AlarmNames: ['vouch.orders.test-throttled.latency'] })
      .rejects(new Error('Rate exceeded'))
      .on(DeleteAlarmsCommand, { AlarmNames: ['vouch.orders.test-here.latency'] })
      .resolves({});
    const s = sweeper();

    // Act / Assess
    await s.remove({ ...alarm, id: 'vouch.orders.test-here.latency' });
    await s.remove({ ...alarm, id: 'vouch.orders.test-gone.latency' });
    await expect(s.remove({ ...alarm, id: 'vouch.orders.test-throttled.latency' })).rejects.toThrow(
      'Rate exceeded',
    );
    expect(cloudWatch).toReceiveCommandWith(DeleteAlarmsCommand, {
      AlarmNames: ['vouch.orders.test-here.latency'],
    });
  });

  it('through a sweep: removes an ended run’s, keeps a running run’s, a young one’s and a lasting environment’s', async () => {
    // Prepare
    account([
      { name: 'vouch.orders.test-ended.latency', environmentId: 'orders.test.ended', hours: 2 },
      { name: 'vouch.orders.test-live.latency', environmentId: 'orders.test.live', hours: 2 },
      // Put 5 minutes ago by a run that may not read as running yet.
      { name: 'vouch.orders.test-new.latency', environmentId: 'orders.test.new', hours: 5 / 60 },
      // qa's, the service stack's: not listed by an ephemeral environment's prefix.
      { name: 'vouch.orders.qa.latency', environmentId: 'orders.qa', hours: 200 },
    ]);
    cloudWatch.on(DeleteAlarmsCommand).resolves({});
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
      ['vouch.orders.test-ended.latency', 'its run ended ended'],
    ]);
    expect(report.kept).toBe(2);
    expect(cloudWatch.commandCalls(DeleteAlarmsCommand).map((c) => c.args[0].input)).toEqual([
      { AlarmNames: ['vouch.orders.test-ended.latency'] },
    ]);
  });
});
