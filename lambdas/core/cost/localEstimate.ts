/**
 * Local cost ESTIMATE: what the resources the one-machine target created would cost if they ran on
 * AWS, from their lifetimes times a price table. It is not a bill and no AWS data goes into it; on AWS
 * the collector reads the real cost from Cost Explorer grouped by the same three tags.
 *
 * Pure: the records come from `DeployTarget.resources()` (or `readResourceJournal`), the clock is passed.
 */
import type { ResourceRecord } from '../target/port.ts';

/**
 * Prices used for the estimate, USD, AWS on-demand list prices for us-east-1 as published on the
 * AWS pricing pages (read 2024; they change, and other regions differ):
 * - a service process is priced as one EC2 t4g.nano Linux instance: $0.0042 per instance-hour
 *   (aws.amazon.com/ec2/pricing/on-demand);
 * - an environment (its weighted proxy) as one Application Load Balancer: $0.0225 per ALB-hour, LCU
 *   charges left out (aws.amazon.com/elasticloadbalancing/pricing);
 * - an image as an AMI's EBS snapshot, standard tier: $0.05 per GB-month (aws.amazon.com/ebs/pricing),
 *   GB = 2^30 bytes and a month = 730 hours as AWS bills them;
 * - delivery engine work as Lambda x86 duration, $0.0000166667 per GB-second (aws.amazon.com/lambda/pricing),
 *   and Step Functions Standard, $0.000025 per state transition (aws.amazon.com/step-functions/pricing).
 * Free tiers are not subtracted.
 */
export interface LocalPriceTable {
  readonly processHourUsd: number;
  readonly environmentHourUsd: number;
  readonly imageGbMonthUsd: number;
  readonly lambdaGbSecondUsd: number;
  readonly stateTransitionUsd: number;
}

export const LOCAL_PRICE_TABLE: LocalPriceTable = {
  processHourUsd: 0.0042,
  environmentHourUsd: 0.0225,
  imageGbMonthUsd: 0.05,
  lambdaGbSecondUsd: 0.0000166667,
  stateTransitionUsd: 0.000025,
};

/** The environment column for what the delivery engine itself uses: images and pipeline runs. */
export const DELIVERY_ENGINE = 'delivery engine';

const HOURS_PER_MONTH = 730;
const BYTES_PER_GB = 2 ** 30;

/** Pipeline work of one run (or a sum of runs), recorded by the local engine if it wants it priced. */
export interface EngineUsage {
  readonly tags: { readonly service: string; readonly team: string; readonly solution: string };
  /** Task durations times memory, in GB-seconds. @default 0 */
  readonly lambdaGbSeconds?: number;
  /** @default 0 */
  readonly stateTransitions?: number;
}

export interface CostUsage {
  readonly processHours: number;
  readonly environmentHours: number;
  readonly imageGbMonths: number;
  readonly lambdaGbSeconds: number;
  readonly stateTransitions: number;
}

export interface CostLine {
  readonly team: string;
  readonly service: string;
  readonly solution: string;
  /** test, qa, prod, ... or `delivery engine`. */
  readonly environment: string;
  readonly usd: number;
  readonly usage: CostUsage;
}

export interface CostTotal {
  readonly key: string;
  readonly usd: number;
}

export interface LocalCostEstimate {
  readonly label: 'ESTIMATE';
  readonly currency: 'USD';
  /** ISO 8601 window the estimate covers; `from` absent means since the first record. */
  readonly from?: string;
  readonly to: string;
  readonly prices: LocalPriceTable;
  /** One line per (team, service, solution, environment), most expensive first. */
  readonly lines: readonly CostLine[];
  readonly totalUsd: number;
  readonly byTeam: readonly CostTotal[];
  readonly byService: readonly CostTotal[];
  readonly bySolution: readonly CostTotal[];
  readonly byEnvironment: readonly CostTotal[];
}

export interface EstimateOptions {
  readonly now: Date;
  /** Only usage from this time on is priced. @default since the first record */
  readonly from?: Date;
  /** Keep one team's lines only (`vouch cost --team T`). */
  readonly team?: string;
  readonly engineUsage?: readonly EngineUsage[];
  readonly prices?: LocalPriceTable;
}

/** Hours of [createdAt, endedAt ?? now] inside [from, now]. */
function hoursIn(record: ResourceRecord, from: number, to: number): number {
  const start = Math.max(Date.parse(record.createdAt), from);
  const end = Math.min(record.endedAt ? Date.parse(record.endedAt) : to, to);
  return end > start ? (end - start) / 3_600_000 : 0;
}

const ZERO: CostUsage = {
  processHours: 0,
  environmentHours: 0,
  imageGbMonths: 0,
  lambdaGbSeconds: 0,
  stateTransitions: 0,
};

function priceOf(usage: CostUsage, prices: LocalPriceTable): number {
  return (
    usage.processHours * prices.processHourUsd +
    usage.environmentHours * prices.environmentHourUsd +
    usage.imageGbMonths * prices.imageGbMonthUsd +
    usage.lambdaGbSeconds * prices.lambdaGbSecondUsd +
    usage.stateTransitions * prices.stateTransitionUsd
  );
}

function totals(lines: readonly CostLine[], keyOf: (line: CostLine) => string): CostTotal[] {
  const sums = new Map<string, number>();
  for (const line of lines) sums.set(keyOf(line), (sums.get(keyOf(line)) ?? 0) + line.usd);
  return [...sums]
    .map(([key, usd]) => ({ key, usd }))
    .sort((a, b) => b.usd - a.usd || a.key.localeCompare(b.key));
}

export function estimateLocalCost(
  records: readonly ResourceRecord[],
  options: EstimateOptions,
): LocalCostEstimate {
  const prices = options.prices ?? LOCAL_PRICE_TABLE;
  const to = options.now.getTime();
  const from = options.from?.getTime() ?? Number.NEGATIVE_INFINITY;
  const usageByLine = new Map<string, { key: Omit<CostLine, 'usd' | 'usage'>; usage: CostUsage }>();
  const add = (
    tags: EngineUsage['tags'],
    environment: string,
    delta: Partial<Record<keyof CostUsage, number>>,
  ): void => {
    if (options.team !== undefined && tags.team !== options.team) return;
    const id = JSON.stringify([tags.team, tags.service, tags.solution, environment]);
    const entry = usageByLine.get(id) ?? {
      key: { team: tags.team, service: tags.service, solution: tags.solution, environment },
      usage: ZERO,
    };
    const usage = { ...entry.usage };
    for (const [field, value] of Object.entries(delta) as [keyof CostUsage, number][]) usage[field] += value;
    usageByLine.set(id, { key: entry.key, usage });
  };

  for (const record of records) {
    const hours = hoursIn(record, from, to);
    if (record.kind === 'process')
      add(record.tags, record.environment ?? DELIVERY_ENGINE, { processHours: hours });
    if (record.kind === 'environment') {
      add(record.tags, record.environment ?? DELIVERY_ENGINE, { environmentHours: hours });
    }
    if (record.kind === 'image') {
      const gb = (record.sizeBytes ?? 0) / BYTES_PER_GB;
      add(record.tags, DELIVERY_ENGINE, { imageGbMonths: (gb * hours) / HOURS_PER_MONTH });
    }
  }
  for (const usage of options.engineUsage ?? []) {
    add(usage.tags, DELIVERY_ENGINE, {
      lambdaGbSeconds: usage.lambdaGbSeconds ?? 0,
      stateTransitions: usage.stateTransitions ?? 0,
    });
  }

  const lines = [...usageByLine.values()]
    .map(({ key, usage }) => ({ ...key, usage, usd: priceOf(usage, prices) }))
    .sort(
      (a, b) =>
        b.usd - a.usd || a.service.localeCompare(b.service) || a.environment.localeCompare(b.environment),
    );
  return {
    label: 'ESTIMATE',
    currency: 'USD',
    ...(options.from && { from: options.from.toISOString() }),
    to: options.now.toISOString(),
    prices,
    lines,
    totalUsd: lines.reduce((sum, line) => sum + line.usd, 0),
    byTeam: totals(lines, (l) => l.team),
    byService: totals(lines, (l) => l.service),
    bySolution: totals(lines, (l) => l.solution),
    byEnvironment: totals(lines, (l) => l.environment),
  };
}

/** The estimate as a text table for `vouch cost`: one row per line, then the total, labelled ESTIMATE. */
export function renderCostTable(estimate: LocalCostEstimate): string[] {
  const usd = (n: number): string => `$${n.toFixed(6)}`;
  const header = ['team', 'service', 'solution', 'environment', 'USD'];
  const rows = estimate.lines.map((l) => [l.team, l.service, l.solution, l.environment, usd(l.usd)]);
  rows.push(['total', '', '', '', usd(estimate.totalUsd)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const format = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ');
  return [
    `ESTIMATE (not a bill): AWS us-east-1 on-demand list prices x local resource time, ${estimate.from ?? 'start'} to ${estimate.to}`,
    format(header),
    ...rows.map(format),
  ];
}
