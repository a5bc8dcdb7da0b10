/** Bot metrics on one machine: straight into the local metric store (which evaluates the alarms). */
import type { MetricSample, MetricSink } from '../../../core/evidence/metrics.ts';
import type { LocalMetricStore } from './metricStore.ts';

export function localMetricSink(store: LocalMetricStore): MetricSink {
  return {
    async put(samples: readonly MetricSample[]) {
      store.putNow(samples);
    },
  };
}
