/**
 * The twin's CloudWatch reads an alarm's period from its metric's series by binary search (not a scan
 * of every datapoint each minute): datapoints that arrive out of time order still count in their period.
 */
import { describe, expect, it } from 'vitest';
import { TwinCloudWatch } from '../../lambdas/twin/fakes/cloudWatch.ts';
import type { DeployedTemplates } from '../../lambdas/twin/template.ts';

const RAW = { command: {}, client: {} };
const noTemplates = { resourcesOfType: () => [] } as unknown as DeployedTemplates;
const DIMENSIONS = [
  { Name: 'service', Value: 'orders' },
  { Name: 'environment', Value: 'qa' },
];

describe('CloudWatch on the twin: alarm periods from time-ordered series', () => {
  it('counts a late datapoint in its own period, and only there', async () => {
    const cw = new TwinCloudWatch(noTemplates);
    await cw.fake().handle(
      'PutMetricAlarm',
      {
        AlarmName: 'vouch.orders.qa.latency',
        Namespace: 'Vouch',
        MetricName: 'latency',
        Dimensions: DIMENSIONS,
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        Threshold: 100,
        ComparisonOperator: 'GreaterThanThreshold',
      },
      RAW,
    );
    const t0 = 1_800_000_000_000 - (1_800_000_000_000 % 60_000);
    cw.record('Vouch', 'latency', DIMENSIONS, 50, t0 + 30_000);
    cw.record('Vouch', 'latency', DIMENSIONS, 20, t0 + 65_000);
    cw.record('Vouch', 'latency', DIMENSIONS, 20, t0 + 130_000);
    // Arrives last, belongs to the first period (an EMF document's own timestamp).
    cw.record('Vouch', 'latency', DIMENSIONS, 500, t0 + 10_000);

    expect(cw.evaluateAlarms(t0 + 61_000).map((c) => c.to)).toEqual(['ALARM']);
    expect(cw.evaluateAlarms(t0 + 121_000).map((c) => c.to)).toEqual(['OK']);

    const read = (await cw.fake().handle(
      'GetMetricData',
      {
        StartTime: new Date(t0),
        EndTime: new Date(t0 + 180_000),
        MetricDataQueries: [
          {
            Id: 'l',
            MetricStat: {
              Metric: { Namespace: 'Vouch', MetricName: 'latency', Dimensions: DIMENSIONS },
              Period: 60,
              Stat: 'Maximum',
            },
          },
        ],
      },
      RAW,
    )) as { MetricDataResults: { Values: number[] }[] };
    expect(read.MetricDataResults[0]?.Values).toEqual([500, 20, 20]);
  });
});
