import {
  type CostItem,
  costItemKey,
  ENVIRONMENT_TAG,
  type ServiceCostItem,
  type SolutionCostItem,
  tagValueOrUntagged,
} from './costItem.ts';
import { InvalidCostInputError } from './errors.ts';
import type { CostLedger, CostMetricDatum, CostMetricSink, CostReader, DailyCostGroup } from './ports.ts';

export interface CostCollectorDeps {
  readonly reader: CostReader;
  readonly ledger: CostLedger;
  readonly metrics: CostMetricSink;
}

export interface CollectCostOptions {
  /** Today, UTC, `yyyy-mm-dd`. Today itself is not read: its data is partial until tomorrow's run. */
  readonly today: string;
  /**
   * How many completed days to re-read. Cost Explorer restates recent days as billing data settles
   * (up to ~72 h late for some services), so each run re-reads them and overwrites what it wrote.
   * At most 14: CloudWatch refuses datapoints older than two weeks.
   */
  readonly lookbackDays: number;
}

export interface CostCollectionSummary {
  /** First day read, inclusive. */
  readonly start: string;
  /** Day after the last day read (Cost Explorer's exclusive end). */
  readonly end: string;
  /** Team values seen, `untagged` included when there was spend without a team tag. */
  readonly teams: readonly string[];
  readonly items: readonly CostItem[];
  /** Metric datums published: one per dimension set whose cost changed (or appeared) in this run. */
  readonly datums: readonly CostMetricDatum[];
  /** Spend without a team tag over the window: the number to drive to zero. */
  readonly untaggedAmount: number;
}

/** CloudWatch rejects datapoints older than two weeks (PutMetricData: "timestamp ... up to two weeks in the past"). */
export const MAX_LOOKBACK_DAYS = 14;
export const DEFAULT_LOOKBACK_DAYS = 3;

const DAY = /^\d{4}-\d{2}-\d{2}$/;
// Below a millionth of a cent a change is floating-point noise from re-adding the same amounts.
const EPSILON = 1e-9;

/** The days [start, end) a run re-reads: the `lookbackDays` completed days before `today`. */
export function costWindow(today: string, lookbackDays: number): { start: string; end: string } {
  if (!DAY.test(today) || Number.isNaN(Date.parse(`${today}T00:00:00Z`))) {
    throw new InvalidCostInputError(`today must be a UTC day as yyyy-mm-dd, got "${today}"`);
  }
  if (!Number.isInteger(lookbackDays) || lookbackDays < 1 || lookbackDays > MAX_LOOKBACK_DAYS) {
    throw new InvalidCostInputError(
      `lookbackDays must be an integer from 1 to ${MAX_LOOKBACK_DAYS} (CloudWatch keeps no older datapoints), got ${lookbackDays}`,
    );
  }
  const end = new Date(`${today}T00:00:00Z`);
  const start = new Date(end.getTime() - lookbackDays * 86_400_000);
  return { start: start.toISOString().slice(0, 10), end: today };
}

/**
 * Reads the last days of cost from Cost Explorer, grouped by team and solution, then per team by
 * service and environment; overwrites the cost items of those days; publishes the change of each
 * day's cost as CloudWatch metrics.
 *
 * Why per-team calls: Cost Explorer groups by at most two keys per call, and the item needs four
 * (team, service, environment, day). Filtering each team's spend and grouping it by service and
 * environment gives exact (team, service, environment) cost with no join by guesswork, at one extra
 * request per team and day (Cost Explorer bills $0.01 per request).
 *
 * Why metrics carry changes: a restated day is published again. CloudWatch adds datapoints, so
 * re-publishing the whole amount would count the day twice under `Sum`; publishing
 * `new - previous` (the ledger returns the previous amount from the same atomic put) keeps the daily
 * `Sum` equal to the settled cost.
 */
export async function collectCost(
  deps: CostCollectorDeps,
  options: CollectCostOptions,
): Promise<CostCollectionSummary> {
  const { start, end } = costWindow(options.today, options.lookbackDays);

  const byTeamAndSolution = await deps.reader.readDailyCost({ start, end, groupBy: ['team', 'solution'] });
  const rawTeams = [...new Set(byTeamAndSolution.map((g) => g.tagValues[0]))].sort();

  const solutionItems = sumSolutionItems(byTeamAndSolution);
  const serviceItems: ServiceCostItem[] = [];
  for (const rawTeam of rawTeams) {
    const groups = await deps.reader.readDailyCost({
      start,
      end,
      groupBy: ['service', ENVIRONMENT_TAG],
      // Spend without a team tag is read with the tag-absent filter, so it is kept, not dropped.
      filter: { tagKey: 'team', value: rawTeam === '' ? null : rawTeam },
    });
    serviceItems.push(...sumServiceItems(tagValueOrUntagged(rawTeam), groups));
  }

  const items: CostItem[] = [...serviceItems, ...solutionItems];
  const recorded = await deps.ledger.record(items);
  const datums = costMetricDeltas(items, recorded);
  if (datums.length > 0) await deps.metrics.publish(datums);

  const untaggedAmount = serviceItems
    .filter((i) => i.team === 'untagged')
    .reduce((sum, i) => sum + i.amount, 0);
  return { start, end, teams: rawTeams.map(tagValueOrUntagged), items, datums, untaggedAmount };
}

function sumServiceItems(team: string, groups: readonly DailyCostGroup[]): ServiceCostItem[] {
  const byKey = new Map<string, ServiceCostItem>();
  for (const g of groups) {
    const service = tagValueOrUntagged(g.tagValues[0]);
    const environment = tagValueOrUntagged(g.tagValues[1]);
    const item: ServiceCostItem = {
      kind: 'service',
      day: g.day,
      team,
      service,
      environment,
      amount: g.amount,
      unit: g.unit,
      estimated: g.estimated,
    };
    mergeInto(byKey, item);
  }
  return [...byKey.values()];
}

function sumSolutionItems(groups: readonly DailyCostGroup[]): SolutionCostItem[] {
  const byKey = new Map<string, SolutionCostItem>();
  for (const g of groups) {
    const item: SolutionCostItem = {
      kind: 'solution',
      day: g.day,
      team: tagValueOrUntagged(g.tagValues[0]),
      solution: tagValueOrUntagged(g.tagValues[1]),
      amount: g.amount,
      unit: g.unit,
      estimated: g.estimated,
    };
    mergeInto(byKey, item);
  }
  return [...byKey.values()];
}

// Two raw groups can land on one item (e.g. a value with and without trailing spaces); they are
// different spend, so their amounts add. One group is never seen twice: pages do not overlap.
function mergeInto<T extends CostItem>(byKey: Map<string, T>, item: T): void {
  const { pk, sk } = costItemKey(item);
  const key = `${pk}|${sk}`;
  const seen = byKey.get(key);
  byKey.set(
    key,
    seen === undefined
      ? item
      : { ...seen, amount: seen.amount + item.amount, estimated: seen.estimated || item.estimated },
  );
}

/**
 * The metric datums for a run: for every dimension set the dashboards read, the change of the day's
 * cost since the previous run. Sets: {Team}, {Team, Service}, {Team, Environment},
 * {Team, Service, Environment} from service items; {Solution} from solution items.
 */
export function costMetricDeltas(
  items: readonly CostItem[],
  recorded: readonly { key: { pk: string; sk: string }; previousAmount: number | undefined }[],
): CostMetricDatum[] {
  const previous = new Map(recorded.map((r) => [`${r.key.pk}|${r.key.sk}`, r.previousAmount]));
  const sums = new Map<
    string,
    { day: string; dimensions: Record<string, string>; value: number; isNew: boolean }
  >();
  const add = (day: string, dimensions: Record<string, string>, delta: number, isNew: boolean): void => {
    const id = `${day}|${Object.entries(dimensions)
      .map(([k, v]) => `${k}=${v}`)
      .join('|')}`;
    const sum = sums.get(id);
    if (sum === undefined) sums.set(id, { day, dimensions, value: delta, isNew });
    else {
      sum.value += delta;
      sum.isNew ||= isNew;
    }
  };
  for (const item of items) {
    const { pk, sk } = costItemKey(item);
    const before = previous.get(`${pk}|${sk}`);
    const delta = item.amount - (before ?? 0);
    const isNew = before === undefined;
    if (item.kind === 'service') {
      add(item.day, { Team: item.team }, delta, isNew);
      add(item.day, { Team: item.team, Service: item.service }, delta, isNew);
      add(item.day, { Team: item.team, Environment: item.environment }, delta, isNew);
      add(item.day, { Team: item.team, Service: item.service, Environment: item.environment }, delta, isNew);
    } else {
      add(item.day, { Solution: item.solution }, delta, isNew);
    }
  }
  // A first sighting is published even at zero, so the metric exists for dashboards and SEARCH.
  return [...sums.values()]
    .filter((s) => s.isNew || Math.abs(s.value) > EPSILON)
    .map((s) => ({ day: s.day, dimensions: s.dimensions, value: s.value }));
}
