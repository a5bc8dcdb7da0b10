import {
  CloudWatchClient,
  PutMetricDataCommand,
  type PutMetricDataCommandInput,
} from '@aws-sdk/client-cloudwatch';
import {
  CostExplorerClient,
  GetCostAndUsageCommand,
  type GetCostAndUsageCommandInput,
  type GetCostAndUsageCommandOutput,
  LimitExceededException,
} from '@aws-sdk/client-cost-explorer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, type PutCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { cloudWatchCostMetrics } from '../../../lambdas/adapters/aws/cost/cloudWatchCostMetrics.ts';
import { costExplorerReader } from '../../../lambdas/adapters/aws/cost/costExplorerReader.ts';
import { dynamoCostLedger } from '../../../lambdas/adapters/aws/cost/dynamoCostLedger.ts';
import { collectCost, costWindow } from '../../../lambdas/core/cost/collector.ts';
import { CostExplorerThrottledError, InvalidCostInputError } from '../../../lambdas/core/cost/errors.ts';

const ceMock = mockClient(CostExplorerClient);
const ddbMock = mockClient(DynamoDBDocumentClient);
const cwMock = mockClient(CloudWatchClient);

afterEach(() => {
  ceMock.reset();
  ddbMock.reset();
  cwMock.reset();
});

type Group = readonly [string, string, number];
type Day = { day: string; groups: readonly Group[]; estimated?: boolean };

function page(days: readonly Day[], next?: string): GetCostAndUsageCommandOutput {
  return {
    $metadata: {},
    NextPageToken: next,
    ResultsByTime: days.map((d) => ({
      TimePeriod: { Start: d.day, End: d.day },
      Estimated: d.estimated ?? false,
      Total: {},
      Groups: d.groups.map(([a, b, amount]) => ({
        Keys: [a, b],
        Metrics: { UnblendedCost: { Amount: String(amount), Unit: 'USD' } },
      })),
    })),
  };
}

/** Routes each GetCostAndUsage call to a page by its grouping, team filter and page token. */
type Route = (input: GetCostAndUsageCommandInput) => GetCostAndUsageCommandOutput | Error;
function costExplorerAnswers(route: Route): void {
  ceMock.on(GetCostAndUsageCommand).callsFake((input: GetCostAndUsageCommandInput) => {
    const answer = route(input);
    if (answer instanceof Error) throw answer;
    return answer;
  });
}
const groupedBy = (input: GetCostAndUsageCommandInput): string =>
  (input.GroupBy ?? []).map((g) => g.Key).join('+');
const teamFilter = (input: GetCostAndUsageCommandInput): string | null | undefined => {
  const tags = input.Filter?.And?.find((e) => e.Tags)?.Tags;
  if (tags === undefined) return undefined;
  return tags.MatchOptions?.includes('ABSENT') ? null : (tags.Values?.[0] ?? undefined);
};

/** A table that behaves like DynamoDB PutItem with ReturnValues ALL_OLD. */
function fakeTable(): Map<string, Record<string, unknown>> {
  const rows = new Map<string, Record<string, unknown>>();
  ddbMock.on(PutCommand).callsFake((input: PutCommandInput) => {
    const item = input.Item ?? {};
    const key = `${String(item.pk)}|${String(item.sk)}`;
    const old = rows.get(key);
    rows.set(key, item);
    return { Attributes: input.ReturnValues === 'ALL_OLD' ? old : undefined };
  });
  return rows;
}

function deps(sleeps: number[] = []) {
  return {
    reader: costExplorerReader(new CostExplorerClient({}), {
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random: () => 0.5,
    }),
    ledger: dynamoCostLedger(DynamoDBDocumentClient.from(new DynamoDBClient({})), {
      tableName: 'vouch-builds',
    }),
    metrics: cloudWatchCostMetrics(new CloudWatchClient({})),
  };
}

function publishedDatums(): NonNullable<PutMetricDataCommandInput['MetricData']> {
  return cwMock.commandCalls(PutMetricDataCommand).flatMap((c) => c.args[0].input.MetricData ?? []);
}
const dims = (d: { Dimensions?: { Name?: string; Value?: string }[] }): string =>
  (d.Dimensions ?? []).map((x) => `${x.Name}=${x.Value}`).join(',');

describe('collectCost', () => {
  it('follows NextPageToken through every page of every query', async () => {
    // Prepare: the team/solution query spans two pages, team checkout's service query three.
    const rows = fakeTable();
    cwMock.on(PutMetricDataCommand).resolves({});
    costExplorerAnswers((input) => {
      if (groupedBy(input) === 'team+solution') {
        return input.NextPageToken === undefined
          ? page([{ day: '2025-03-07', groups: [['team$payments', 'solution$shop', 4]] }], 'ts-2')
          : page([{ day: '2025-03-07', groups: [['team$search', 'solution$shop', 1]] }]);
      }
      if (teamFilter(input) === 'payments') {
        if (input.NextPageToken === undefined) {
          return page([{ day: '2025-03-07', groups: [['service$checkout', 'environment$prod', 3]] }], 'p-2');
        }
        if (input.NextPageToken === 'p-2') {
          return page([{ day: '2025-03-07', groups: [['service$checkout', 'environment$qa', 0.5]] }], 'p-3');
        }
        return page([{ day: '2025-03-07', groups: [['service$ledger', 'environment$prod', 0.5]] }]);
      }
      return page([{ day: '2025-03-07', groups: [['service$finder', 'environment$prod', 1]] }]);
    });

    // Act
    const summary = await collectCost(deps(), { today: '2025-03-08', lookbackDays: 1 });

    // Assess: 2 + 3 + 1 pages, every item written once, the team total is the sum of all pages.
    expect(ceMock).toHaveReceivedCommandTimes(GetCostAndUsageCommand, 6);
    expect(ceMock).toHaveReceivedCommandWith(GetCostAndUsageCommand, { NextPageToken: 'p-3' });
    expect(ceMock).toHaveReceivedCommandWith(GetCostAndUsageCommand, {
      TimePeriod: { Start: '2025-03-07', End: '2025-03-08' },
      Granularity: 'DAILY',
      Metrics: ['UnblendedCost'],
    });
    expect(summary.teams).toEqual(['payments', 'search']);
    expect([...rows.keys()].sort()).toEqual([
      'COST#SOLUTION#shop|DAY#2025-03-07#TEAM#payments',
      'COST#SOLUTION#shop|DAY#2025-03-07#TEAM#search',
      'COST#TEAM#payments|DAY#2025-03-07#SERVICE#checkout#ENV#prod',
      'COST#TEAM#payments|DAY#2025-03-07#SERVICE#checkout#ENV#qa',
      'COST#TEAM#payments|DAY#2025-03-07#SERVICE#ledger#ENV#prod',
      'COST#TEAM#search|DAY#2025-03-07#SERVICE#finder#ENV#prod',
    ]);
    const paymentsTotal = publishedDatums().find((d) => dims(d) === 'Team=payments');
    expect(paymentsTotal?.Value).toBe(4);
    expect(paymentsTotal?.Timestamp).toEqual(new Date('2025-03-07T00:00:00Z'));
  });

  it('reports spend with an empty team value ("team$") as untagged, read with the tag-absent filter', async () => {
    // Prepare
    const rows = fakeTable();
    cwMock.on(PutMetricDataCommand).resolves({});
    costExplorerAnswers((input) => {
      if (groupedBy(input) === 'team+solution') {
        return page([
          {
            day: '2025-03-07',
            groups: [
              ['team$', 'solution$', 2.25],
              ['team$payments', 'solution$shop', 1],
            ],
          },
        ]);
      }
      if (teamFilter(input) === null) {
        return page([{ day: '2025-03-07', groups: [['service$', 'environment$', 2.25]] }]);
      }
      return page([{ day: '2025-03-07', groups: [['service$checkout', 'environment$prod', 1]] }]);
    });

    // Act
    const summary = await collectCost(deps(), { today: '2025-03-08', lookbackDays: 1 });

    // Assess
    expect(ceMock).toHaveReceivedCommandWith(GetCostAndUsageCommand, {
      Filter: {
        And: [
          { Tags: { Key: 'team', MatchOptions: ['ABSENT'] } },
          { Not: { Dimensions: { Key: 'RECORD_TYPE', Values: ['Credit', 'Refund'] } } },
        ],
      },
    });
    expect(summary.teams).toEqual(['untagged', 'payments']);
    expect(summary.untaggedAmount).toBe(2.25);
    expect(rows.get('COST#TEAM#untagged|DAY#2025-03-07#SERVICE#untagged#ENV#untagged')).toMatchObject({
      team: 'untagged',
      service: 'untagged',
      environment: 'untagged',
      amount: 2.25,
    });
    expect(rows.has('COST#SOLUTION#untagged|DAY#2025-03-07#TEAM#untagged')).toBe(true);
    expect(publishedDatums().find((d) => dims(d) === 'Team=untagged')?.Value).toBe(2.25);
  });

  it('retries LimitExceededException with growing backoff, then reads on', async () => {
    // Prepare: the first call is throttled twice.
    fakeTable();
    cwMock.on(PutMetricDataCommand).resolves({});
    let throttles = 2;
    costExplorerAnswers((input) => {
      if (groupedBy(input) === 'team+solution') {
        if (throttles-- > 0) return new LimitExceededException({ message: 'Rate exceeded', $metadata: {} });
        return page([{ day: '2025-03-07', groups: [['team$payments', 'solution$shop', 1]] }]);
      }
      return page([{ day: '2025-03-07', groups: [['service$checkout', 'environment$prod', 1]] }]);
    });
    const sleeps: number[] = [];

    // Act
    const summary = await collectCost(deps(sleeps), { today: '2025-03-08', lookbackDays: 1 });

    // Assess: base 1000 ms x 2^attempt x jitter 0.5
    expect(sleeps).toEqual([500, 1000]);
    expect(summary.items).toHaveLength(2);
  });

  it('gives up with CostExplorerThrottledError after the last attempt, writing nothing', async () => {
    // Prepare
    const rows = fakeTable();
    costExplorerAnswers(() => new LimitExceededException({ message: 'Rate exceeded', $metadata: {} }));
    const sleeps: number[] = [];

    // Act
    const run = collectCost(deps(sleeps), { today: '2025-03-08', lookbackDays: 3 });

    // Assess
    await expect(run).rejects.toBeInstanceOf(CostExplorerThrottledError);
    await expect(run).rejects.toMatchObject({ name: 'CostExplorerThrottledError', attempts: 5 });
    expect(ceMock).toHaveReceivedCommandTimes(GetCostAndUsageCommand, 5);
    expect(sleeps).toEqual([500, 1000, 2000, 4000]);
    expect(rows.size).toBe(0);
    expect(cwMock).not.toHaveReceivedCommand(PutMetricDataCommand);
  });

  it('overwrites a day Cost Explorer restates later and publishes only the change (no double count)', async () => {
    // Prepare: on the 8th, the 7th reads 10 (estimated); on the 9th it settles at 12.5 and the 8th reads 4.
    const rows = fakeTable();
    cwMock.on(PutMetricDataCommand).resolves({});
    let costOf7th = 10;
    costExplorerAnswers((input) => {
      const days: Day[] = [{ day: '2025-03-07', groups: [], estimated: costOf7th === 10 }];
      if (input.TimePeriod?.End === '2025-03-09') days.push({ day: '2025-03-08', groups: [] });
      const cost = (d: string): number => (d === '2025-03-07' ? costOf7th : 4);
      if (groupedBy(input) === 'team+solution') {
        return page(days.map((d) => ({ ...d, groups: [['team$payments', 'solution$shop', cost(d.day)]] })));
      }
      return page(
        days.map((d) => ({ ...d, groups: [['service$checkout', 'environment$prod', cost(d.day)]] })),
      );
    });

    // Act: two daily runs, each re-reading the last 2 days.
    await collectCost(deps(), { today: '2025-03-08', lookbackDays: 2 });
    costOf7th = 12.5;
    const second = await collectCost(deps(), { today: '2025-03-09', lookbackDays: 2 });

    // Assess: one item for the 7th, holding the settled amount.
    const seventh = [...rows.entries()].filter(([k]) => k.startsWith('COST#TEAM#payments|DAY#2025-03-07'));
    expect(seventh).toHaveLength(1);
    expect(seventh[0]?.[1]).toMatchObject({ amount: 12.5, estimated: false });
    // The second run published +2.5 for the 7th: CloudWatch's daily Sum is 12.5, not 22.5.
    const teamDatums = publishedDatums().filter((d) => dims(d) === 'Team=payments');
    const sumFor = (day: string): number =>
      teamDatums
        .filter((d) => d.Timestamp?.toISOString() === `${day}T00:00:00.000Z`)
        .reduce((s, d) => s + (d.Value ?? 0), 0);
    expect(sumFor('2025-03-07')).toBe(12.5);
    expect(sumFor('2025-03-08')).toBe(4);
    expect(second.datums.filter((d) => Object.keys(d.dimensions).join() === 'Team')).toEqual([
      { day: '2025-03-07', dimensions: { Team: 'payments' }, value: 2.5 },
      { day: '2025-03-08', dimensions: { Team: 'payments' }, value: 4 },
    ]);
  });

  it('publishes nothing when a re-run reads the same amounts again', async () => {
    // Prepare
    const rows = fakeTable();
    cwMock.on(PutMetricDataCommand).resolves({});
    costExplorerAnswers((input) =>
      groupedBy(input) === 'team+solution'
        ? page([{ day: '2025-03-07', groups: [['team$payments', 'solution$shop', 0.1 + 0.2]] }])
        : page([{ day: '2025-03-07', groups: [['service$checkout', 'environment$prod', 0.1 + 0.2]] }]),
    );
    await collectCost(deps(), { today: '2025-03-08', lookbackDays: 1 });
    const callsAfterFirstRun = cwMock.commandCalls(PutMetricDataCommand).length;

    // Act
    const rerun = await collectCost(deps(), { today: '2025-03-08', lookbackDays: 1 });

    // Assess
    expect(rerun.datums).toEqual([]);
    expect(cwMock.commandCalls(PutMetricDataCommand)).toHaveLength(callsAfterFirstRun);
    expect(rows.size).toBe(2);
  });

  it('publishes to Vouch/Cost with Team, Service and Environment dimensions', async () => {
    // Prepare
    fakeTable();
    cwMock.on(PutMetricDataCommand).resolves({});
    costExplorerAnswers((input) =>
      groupedBy(input) === 'team+solution'
        ? page([{ day: '2025-03-07', groups: [['team$payments', 'solution$shop', 3]] }])
        : page([{ day: '2025-03-07', groups: [['service$checkout', 'environment$qa', 3]] }]),
    );

    // Act
    await collectCost(deps(), { today: '2025-03-08', lookbackDays: 1 });

    // Assess
    expect(cwMock).toHaveReceivedCommandWith(PutMetricDataCommand, { Namespace: 'Vouch/Cost' });
    expect(publishedDatums().map(dims).sort()).toEqual([
      'Solution=shop',
      'Team=payments',
      'Team=payments,Environment=qa',
      'Team=payments,Service=checkout',
      'Team=payments,Service=checkout,Environment=qa',
    ]);
  });
});

describe('costWindow', () => {
  it('re-reads the completed days before today', () => {
    expect(costWindow('2025-03-01', 3)).toEqual({ start: '2025-02-26', end: '2025-03-01' });
  });

  it('refuses a look-back CloudWatch could not store', () => {
    expect(() => costWindow('2025-03-01', 15)).toThrow(InvalidCostInputError);
    expect(() => costWindow('03/01/2025', 3)).toThrow(/yyyy-mm-dd/);
  });
});
