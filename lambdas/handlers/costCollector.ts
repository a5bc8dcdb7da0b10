// Daily cost collector (EventBridge schedule): re-reads the last days of Cost Explorer data per
// team, service, environment and solution, overwrites the cost items, publishes the changes.

import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CostExplorerClient } from '@aws-sdk/client-cost-explorer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { cloudWatchCostMetrics } from '../adapters/aws/cost/cloudWatchCostMetrics.ts';
import { costAllocationTagAdmin } from '../adapters/aws/cost/costAllocationTagAdmin.ts';
import { costExplorerReader } from '../adapters/aws/cost/costExplorerReader.ts';
import { dynamoCostLedger } from '../adapters/aws/cost/dynamoCostLedger.ts';
import { ensureCostAllocationTagsActive } from '../core/cost/activation.ts';
import { collectCost, DEFAULT_LOOKBACK_DAYS, MAX_LOOKBACK_DAYS } from '../core/cost/collector.ts';
import { COST_COLLECTOR_ENV } from '../core/cost/collectorEnvironment.ts';
import { requireEnv } from '../core/shared/env.ts';

const tableName = requireEnv(COST_COLLECTOR_ENV.buildTable);
const lookbackDays = z.coerce
  .number()
  .int()
  .min(1)
  .max(MAX_LOOKBACK_DAYS)
  .parse(process.env[COST_COLLECTOR_ENV.lookbackDays] ?? DEFAULT_LOOKBACK_DAYS);
const costMetric = z
  .enum(['UnblendedCost', 'AmortizedCost'])
  .parse(process.env[COST_COLLECTOR_ENV.costMetric] ?? 'UnblendedCost');
const activateTags = process.env[COST_COLLECTOR_ENV.activateTags] === 'true';

const logger = new Logger({ serviceName: 'vouch-cost-collector' });
// Cost Explorer is served from us-east-1 for the whole partition; maxAttempts 1 because the reader
// owns the LimitExceededException backoff (the SDK would otherwise retry inside each of its attempts).
const ce = new CostExplorerClient({ region: 'us-east-1', maxAttempts: 1 });
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const cloudWatch = new CloudWatchClient({});

const reader = costExplorerReader(ce, { metric: costMetric });
const ledger = dynamoCostLedger(doc, { tableName });
const metrics = cloudWatchCostMetrics(cloudWatch);

/** EventBridge scheduled event; `time` fixes "today" so a replayed event re-reads the same days. */
const ScheduledEvent = z.looseObject({
  time: z.iso.datetime({ offset: true }).optional(),
  lookbackDays: z.number().int().min(1).max(MAX_LOOKBACK_DAYS).optional(),
});

export async function handler(
  event: unknown,
): Promise<{ start: string; end: string; items: number; datums: number }> {
  const input = ScheduledEvent.parse(event ?? {});
  const today = (input.time ?? new Date().toISOString()).slice(0, 10);

  if (activateTags) {
    // Not fatal: a key Billing has not seen yet, or a member account, must not stop the collection.
    try {
      const report = await ensureCostAllocationTagsActive(costAllocationTagAdmin(ce));
      logger.info('cost allocation tags', { ...report });
    } catch (error) {
      logger.warn('could not check or activate cost allocation tags', { error });
    }
  }

  const summary = await collectCost(
    { reader, ledger, metrics },
    { today, lookbackDays: input.lookbackDays ?? lookbackDays },
  );
  logger.info('cost collected', {
    start: summary.start,
    end: summary.end,
    teams: summary.teams,
    items: summary.items.length,
    datums: summary.datums.length,
    untaggedAmount: summary.untaggedAmount,
  });
  return {
    start: summary.start,
    end: summary.end,
    items: summary.items.length,
    datums: summary.datums.length,
  };
}
