import {
  type CostExplorerClient,
  type Expression,
  GetCostAndUsageCommand,
  type GetCostAndUsageCommandOutput,
  LimitExceededException,
} from '@aws-sdk/client-cost-explorer';
import { CostExplorerResponseError, CostExplorerThrottledError } from '../../../core/cost/errors.ts';
import type { CostReader, DailyCostGroup, DailyCostQuery } from '../../../core/cost/ports.ts';

/**
 * Which Cost Explorer cost metric a team sees.
 * - `UnblendedCost` (default): what was charged for the day's usage at the rate charged. It moves
 *   the day after a service gets cheaper, which is what a team watching its own work needs.
 * - `AmortizedCost`: spreads upfront Reserved Instance / Savings Plans fees over their term and onto
 *   the usage they cover. Pick it when the organisation buys commitments; with unblended cost the
 *   covered usage reads near zero and the fee lands, untagged, on the purchase day.
 */
export type CostMetric = 'UnblendedCost' | 'AmortizedCost';

export interface CostExplorerReaderOptions {
  /** @default 'UnblendedCost' */
  readonly metric?: CostMetric;
  /** Attempts per page, the first included, before CostExplorerThrottledError. @default 5 */
  readonly maxAttempts?: number;
  /** First backoff; doubles each retry, with full jitter. @default 1000 */
  readonly baseDelayMs?: number;
  /** @default setTimeout-based sleep */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). @default Math.random */
  readonly random?: () => number;
}

const sleepFor = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Cost Explorer GetCostAndUsage as a CostReader: DAILY granularity, every page (NextPageToken),
 * LimitExceededException retried with exponential backoff and full jitter, then a typed error.
 * Credits and refunds are left out: they are account-level adjustments, not what a service costs.
 *
 * Create the client with `maxAttempts: 1` so this reader owns the retry budget instead of multiplying
 * the SDK's own throttling retries (the SDK classifies LimitExceededException as throttling too).
 */
export function costExplorerReader(
  ce: CostExplorerClient,
  options: CostExplorerReaderOptions = {},
): CostReader {
  const metric = options.metric ?? 'UnblendedCost';
  const maxAttempts = options.maxAttempts ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 1000;
  const sleep = options.sleep ?? sleepFor;
  const random = options.random ?? Math.random;

  const sendWithBackoff = async (
    input: GetCostAndUsageCommand['input'],
  ): Promise<GetCostAndUsageCommandOutput> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await ce.send(new GetCostAndUsageCommand(input));
      } catch (error) {
        if (!(error instanceof LimitExceededException)) throw error;
        if (attempt >= maxAttempts) throw new CostExplorerThrottledError(attempt, { cause: error });
        await sleep(Math.floor(random() * baseDelayMs * 2 ** (attempt - 1)));
      }
    }
  };

  return {
    async readDailyCost(query: DailyCostQuery): Promise<DailyCostGroup[]> {
      const groups: DailyCostGroup[] = [];
      let nextPageToken: string | undefined;
      do {
        const page = await sendWithBackoff({
          TimePeriod: { Start: query.start, End: query.end },
          Granularity: 'DAILY',
          Metrics: [metric],
          GroupBy: query.groupBy.map((key) => ({ Type: 'TAG', Key: key })),
          Filter: costFilter(query),
          NextPageToken: nextPageToken,
        });
        groups.push(...readGroups(page, query, metric));
        nextPageToken = page.NextPageToken;
      } while (nextPageToken);
      return groups;
    },
  };
}

function costFilter(query: DailyCostQuery): Expression {
  const noCredits: Expression = { Not: { Dimensions: { Key: 'RECORD_TYPE', Values: ['Credit', 'Refund'] } } };
  if (query.filter === undefined) return noCredits;
  const { tagKey, value } = query.filter;
  const tag: Expression =
    value === null
      ? { Tags: { Key: tagKey, MatchOptions: ['ABSENT'] } }
      : { Tags: { Key: tagKey, Values: [value], MatchOptions: ['EQUALS'] } };
  return { And: [tag, noCredits] };
}

function readGroups(
  page: GetCostAndUsageCommandOutput,
  query: DailyCostQuery,
  metric: CostMetric,
): DailyCostGroup[] {
  const groups: DailyCostGroup[] = [];
  for (const result of page.ResultsByTime ?? []) {
    const day = result.TimePeriod?.Start;
    if (day === undefined)
      throw new CostExplorerResponseError('A ResultsByTime entry has no TimePeriod.Start');
    for (const group of result.Groups ?? []) {
      const keys = group.Keys ?? [];
      const first = keys[0];
      const second = keys[1];
      if (first === undefined || second === undefined) {
        throw new CostExplorerResponseError(`A group of ${day} has ${keys.length} keys; 2 were asked for`);
      }
      const cost = group.Metrics?.[metric];
      const amount = Number(cost?.Amount);
      if (cost?.Amount === undefined || !Number.isFinite(amount)) {
        throw new CostExplorerResponseError(`Group ${keys.join(',')} of ${day} has no numeric ${metric}`);
      }
      groups.push({
        day: day.slice(0, 10),
        tagValues: [tagValue(first, query.groupBy[0]), tagValue(second, query.groupBy[1])],
        amount,
        unit: cost.Unit ?? 'USD',
        estimated: result.Estimated ?? false,
      });
    }
  }
  return groups;
}

// A TAG group key reads `<key>$<value>`; `team$` (empty value) is spend without the tag.
function tagValue(groupKey: string, tagKey: string): string {
  const prefix = `${tagKey}$`;
  if (!groupKey.startsWith(prefix)) {
    throw new CostExplorerResponseError(`Group key "${groupKey}" is not of the form "${prefix}<value>"`);
  }
  return groupKey.slice(prefix.length);
}
