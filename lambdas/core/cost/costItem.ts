/**
 * Cost items: what one day cost, per team, service and environment (and per solution), as stored in
 * the build data table and published to CloudWatch.
 *
 * Table layout (single table, owned by the build data repository; cost uses its own `COST#` key space
 * so it never collides with versions, executions or locks):
 *
 * | item                                   | pk                       | sk                                           |
 * | -------------------------------------- | ------------------------ | -------------------------------------------- |
 * | one day, team, service and environment | `COST#TEAM#<team>`       | `DAY#<yyyy-mm-dd>#SERVICE#<service>#ENV#<env>` |
 * | one day, solution and team             | `COST#SOLUTION#<solution>` | `DAY#<yyyy-mm-dd>#TEAM#<team>`             |
 *
 * The key holds every dimension of the item, so a day that Cost Explorer restates is written to the
 * same key again and overwrites it: re-reading the last days never double counts. A team's cost over a
 * date range is one `Query` (pk = team, sk BETWEEN `DAY#from` and `DAY#to$`), never a `Scan`.
 * AWS tag values cannot contain `#` (allowed: letters, digits, spaces and `_ . : / = + - @`), so the
 * separator is unambiguous.
 */

/** Spend without a value for a tag key (Cost Explorer's `team$` group) is reported under this name. */
export const UNTAGGED = 'untagged';

/** The tag that splits a service's cost by environment; resources carry it next to service/team/solution. */
export const ENVIRONMENT_TAG = 'environment';

/** Environments a team dashboard splits by: the platform's own delivery engine, then the pipeline stages. */
export const COST_ENVIRONMENTS = ['delivery-engine', 'test', 'qa', 'prod'] as const;

/** CloudWatch namespace and metric the collector publishes; the team dashboards read the same names. */
export const COST_METRIC_NAMESPACE = 'Vouch/Cost';
export const COST_METRIC_NAME = 'DailyCost';

export interface ServiceCostItem {
  readonly kind: 'service';
  /** UTC day the cost accrued, `yyyy-mm-dd`. */
  readonly day: string;
  readonly team: string;
  readonly service: string;
  readonly environment: string;
  /** Unblended cost of the day, in `unit`. */
  readonly amount: number;
  readonly unit: string;
  /** Cost Explorer still marks the day as estimated: it may be restated by a later run. */
  readonly estimated: boolean;
}

export interface SolutionCostItem {
  readonly kind: 'solution';
  readonly day: string;
  readonly solution: string;
  readonly team: string;
  readonly amount: number;
  readonly unit: string;
  readonly estimated: boolean;
}

export type CostItem = ServiceCostItem | SolutionCostItem;

export interface CostItemKey {
  readonly pk: string;
  readonly sk: string;
}

export function costItemKey(item: CostItem): CostItemKey {
  if (item.kind === 'service') {
    return {
      pk: `COST#TEAM#${item.team}`,
      sk: `DAY#${item.day}#SERVICE#${item.service}#ENV#${item.environment}`,
    };
  }
  return { pk: `COST#SOLUTION#${item.solution}`, sk: `DAY#${item.day}#TEAM#${item.team}` };
}

/** Key condition for one team's service cost items from `from` to `to`, both days inclusive. */
export function teamCostRange(
  team: string,
  from: string,
  to: string,
): { pk: string; skFrom: string; skTo: string } {
  // `$` sorts right after `#`, so `DAY#<to>$` is above every `DAY#<to>#...` key and below the next day.
  return { pk: `COST#TEAM#${team}`, skFrom: `DAY#${from}`, skTo: `DAY#${to}$` };
}

/** The value a tag group carries in Cost Explorer, with the empty value (no tag) named `untagged`. */
export function tagValueOrUntagged(value: string): string {
  const trimmed = value.trim();
  return trimmed === '' ? UNTAGGED : trimmed;
}
