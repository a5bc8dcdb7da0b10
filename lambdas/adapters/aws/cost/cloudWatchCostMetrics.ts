import { type CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { COST_METRIC_NAME, COST_METRIC_NAMESPACE } from '../../../core/cost/costItem.ts';
import { CostSinkError } from '../../../core/cost/errors.ts';
import type { CostMetricSink } from '../../../core/cost/ports.ts';

// PutMetricData takes up to 1000 datums per request (and 1 MB); a cost datum is ~200 bytes.
const DATUMS_PER_REQUEST = 1000;

/**
 * Cost metrics in CloudWatch: namespace `Vouch/Cost`, metric `DailyCost`, one datum per day and
 * dimension set, timestamped at the day's midnight UTC. Values are changes of the day's cost, so a
 * dashboard reads the day's cost with statistic Sum over a 1-day period. CloudWatch has no currency
 * unit: the unit is None and the values are USD.
 */
export function cloudWatchCostMetrics(cloudWatch: CloudWatchClient): CostMetricSink {
  return {
    async publish(datums) {
      for (let i = 0; i < datums.length; i += DATUMS_PER_REQUEST) {
        const batch = datums.slice(i, i + DATUMS_PER_REQUEST);
        try {
          await cloudWatch.send(
            new PutMetricDataCommand({
              Namespace: COST_METRIC_NAMESPACE,
              MetricData: batch.map((d) => ({
                MetricName: COST_METRIC_NAME,
                Timestamp: new Date(`${d.day}T00:00:00Z`),
                Value: d.value,
                Unit: 'None',
                Dimensions: Object.entries(d.dimensions).map(([Name, Value]) => ({ Name, Value })),
              })),
            }),
          );
        } catch (error) {
          throw new CostSinkError(
            `Could not publish ${batch.length} cost metrics to ${COST_METRIC_NAMESPACE}`,
            {
              cause: error,
            },
          );
        }
      }
    },
  };
}
