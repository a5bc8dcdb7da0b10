import type { CostItem, CostItemKey } from './costItem.ts';

/**
 * One Cost Explorer question: daily unblended cost over [start, end) grouped by two tag keys
 * (Cost Explorer allows at most two GroupBy entries per call), optionally for one value of a tag.
 */
export interface DailyCostQuery {
  /** First day, inclusive, `yyyy-mm-dd`. */
  readonly start: string;
  /** Last day, exclusive, `yyyy-mm-dd` (Cost Explorer's TimePeriod.End is exclusive). */
  readonly end: string;
  readonly groupBy: readonly [string, string];
  /** Only spend whose `tagKey` equals `value`; `value: null` means spend without that tag. */
  readonly filter?: { readonly tagKey: string; readonly value: string | null };
}

/** One group of one day, every page already followed. Tag values are raw: `''` when the tag is absent. */
export interface DailyCostGroup {
  readonly day: string;
  readonly tagValues: readonly [string, string];
  readonly amount: number;
  readonly unit: string;
  readonly estimated: boolean;
}

/** Reads daily cost; the AWS adapter calls Cost Explorer GetCostAndUsage and follows NextPageToken. */
export interface CostReader {
  readDailyCost(query: DailyCostQuery): Promise<DailyCostGroup[]>;
}

/** What a recorded item held before this run overwrote it; `undefined` when the key is new. */
export interface RecordedCost {
  readonly key: CostItemKey;
  readonly previousAmount: number | undefined;
}

/**
 * Where cost items are kept: the build data table. `record` overwrites by key (idempotent put) and
 * returns each item's previous amount, so metrics can carry only the change and a restated day is
 * never counted twice.
 */
export interface CostLedger {
  record(items: readonly CostItem[]): Promise<RecordedCost[]>;
}

/** One CloudWatch datum: the change of one day's cost for one set of dimensions. */
export interface CostMetricDatum {
  readonly day: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Publishes cost metrics (CloudWatch `Vouch/Cost` on AWS). */
export interface CostMetricSink {
  publish(datums: readonly CostMetricDatum[]): Promise<void>;
}
