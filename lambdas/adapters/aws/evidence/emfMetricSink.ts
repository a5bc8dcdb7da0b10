/**
 * Bot metrics on AWS: Embedded Metric Format through Powertools Metrics. Each batch is published twice:
 * with (service, environment), the dimensions the alarms watch, and with (service, environment,
 * scenario, version) for dashboards.
 */
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricSample, MetricSink } from '../../../core/evidence/metrics.ts';

const UNITS = {
  Count: MetricUnit.Count,
  Milliseconds: MetricUnit.Milliseconds,
  Percent: MetricUnit.Percent,
} as const;

export function emfMetricSink(metrics: Metrics): MetricSink {
  // Every sample names its service: Powertools' default `service` dimension (the function's serviceName)
  // would collide with it on each publish and log two warnings per batch. The sink owns the dimensions.
  metrics.clearDefaultDimensions();
  return {
    async put(samples: readonly MetricSample[]) {
      if (samples.length === 0) return;
      const first = samples[0];
      const full = first?.dimensions ?? {};
      const sets = [pick(full, ['service', 'environment']), full];
      for (const dimensions of sets) {
        metrics.addDimensions(dimensions);
        for (const sample of samples) {
          metrics.addMetric(sample.name, UNITS[sample.unit ?? 'Count'], sample.value);
        }
        metrics.publishStoredMetrics();
      }
    },
  };
}

function pick(dimensions: Readonly<Record<string, string>>, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(keys.flatMap((k) => (dimensions[k] === undefined ? [] : [[k, dimensions[k]]])));
}
