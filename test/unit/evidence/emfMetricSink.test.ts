// Bot metrics as EMF (adapters/aws/evidence/emfMetricSink.ts): each batch under the dimensions the
// alarms watch and the full set, with the sample's own `service`, and without Powertools' warnings
// about its default `service` dimension (one pair per batch filled the twin's output).
import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it, vi } from 'vitest';
import { emfMetricSink } from '../../../lambdas/adapters/aws/evidence/emfMetricSink.ts';

describe('emfMetricSink', () => {
  it('publishes the sample’s service and environment, and the full set, with no dimension warning', async () => {
    const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const metrics = new Metrics({ namespace: 'Vouch', serviceName: 'vouch-bot', logger });
    const printed: string[] = [];
    vi.spyOn((metrics as unknown as { console: Console }).console, 'log').mockImplementation((line) => {
      printed.push(String(line));
    });

    await emfMetricSink(metrics).put([
      {
        name: 'requests',
        value: 3,
        unit: 'Count',
        timestamp: 0,
        dimensions: { service: 'orders', environment: 'qa', scenario: 'browse', version: '2' },
      },
    ]);

    const docs = printed.map((line) => JSON.parse(line));
    expect(docs.map((d) => d._aws.CloudWatchMetrics[0].Dimensions)).toEqual([
      [['service', 'environment']],
      [['service', 'environment', 'scenario', 'version']],
    ]);
    expect(docs.every((d) => d.service === 'orders' && d.requests === 3)).toBe(true);
    expect(logger.warn).not.toHaveBeenCalled();
  });
});
