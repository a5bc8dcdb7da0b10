/**
 * The golden-signal alarms of one (service, environment), from the `alarms` section of `.vouch.yml`.
 * The same definitions drive the local metric store and, on AWS, the CloudWatch alarms CDK creates.
 */
import type { AlarmMetric, AlarmThresholds, Statistic } from './alarmEvaluator.ts';
import { METRIC } from './metrics.ts';
import type { AlarmsSpec } from './spec.ts';

export type GoldenSignal = 'errorRate' | 'latency' | 'traffic' | 'saturation';

export interface AlarmDefinition extends AlarmThresholds {
  readonly name: string;
  readonly signal: GoldenSignal;
  readonly service: string;
  readonly environment: string;
  /** Dimensions of the watched metrics: (service, environment), across scenarios and versions. */
  readonly dimensions: Readonly<Record<string, string>>;
  readonly metric: AlarmMetric;
  /** The statistic of a single-metric alarm (percentile alarms use it for the low-sample rule). */
  readonly statistic?: Statistic;
  /** Unit of the threshold, for messages: "observed 12.5 % > 5 %". */
  readonly unit: '%' | 'ms' | 'requests';
}

/**
 * What every alarm Vouch creates is named with; the platform stack's alarm rule and IAM grants match
 * it (lib/platform/PlatformStack.ts imports it), so the two cannot drift.
 */
export const ALARM_NAME_PREFIX = 'vouch.';

/** `vouch.<service>.<environment>.<signal>`: service and environment names carry no dots. */
export function alarmName(service: string, environment: string, signal: GoldenSignal): string {
  return `${ALARM_NAME_PREFIX}${service}.${environment}.${signal}`;
}

export function parseAlarmName(
  name: string,
): { service: string; environment: string; signal: GoldenSignal } | undefined {
  const parts = name.split('.');
  if (parts.length !== 4 || `${parts[0]}.` !== ALARM_NAME_PREFIX) return undefined;
  const [, service, environment, signal] = parts as [string, string, string, string];
  if (!['errorRate', 'latency', 'traffic', 'saturation'].includes(signal)) return undefined;
  return { service, environment, signal: signal as GoldenSignal };
}

/** The enabled alarms of (service, environment). */
export function alarmDefinitions(spec: AlarmsSpec, service: string, environment: string): AlarmDefinition[] {
  const base = { service, environment, dimensions: { service, environment } };
  const thresholds = (a: {
    periodSeconds: number;
    evaluationPeriods: number;
    datapointsToAlarm: number;
    treatMissingData: AlarmThresholds['treatMissingData'];
  }) => ({
    periodSeconds: a.periodSeconds,
    evaluationPeriods: a.evaluationPeriods,
    datapointsToAlarm: a.datapointsToAlarm,
    treatMissingData: a.treatMissingData,
  });
  const out: AlarmDefinition[] = [];
  if (spec.errorRate.enabled) {
    out.push({
      ...base,
      ...thresholds(spec.errorRate),
      name: alarmName(service, environment, 'errorRate'),
      signal: 'errorRate',
      // Metric math on AWS: 100 * m_failures / m_requests, both Sum.
      metric: { kind: 'ratioPercent', numerator: METRIC.failures, denominator: METRIC.requests },
      comparison: 'GreaterThanThreshold',
      threshold: spec.errorRate.thresholdPercent,
      unit: '%',
    });
  }
  if (spec.latency.enabled) {
    out.push({
      ...base,
      ...thresholds(spec.latency),
      name: alarmName(service, environment, 'latency'),
      signal: 'latency',
      metric: { kind: 'metric', metricName: METRIC.latency, statistic: spec.latency.percentile as Statistic },
      statistic: spec.latency.percentile as Statistic,
      comparison: 'GreaterThanThreshold',
      threshold: spec.latency.thresholdMs,
      unit: 'ms',
    });
  }
  if (spec.traffic.enabled) {
    out.push({
      ...base,
      ...thresholds(spec.traffic),
      name: alarmName(service, environment, 'traffic'),
      signal: 'traffic',
      metric: { kind: 'metric', metricName: METRIC.requests, statistic: 'SampleCount' },
      comparison: 'LessThanThreshold',
      threshold: spec.traffic.minRequests,
      unit: 'requests',
    });
  }
  if (spec.saturation?.enabled) {
    out.push({
      ...base,
      ...thresholds(spec.saturation),
      name: alarmName(service, environment, 'saturation'),
      signal: 'saturation',
      metric: { kind: 'metric', metricName: METRIC.saturation, statistic: 'Average' },
      comparison: 'GreaterThanThreshold',
      threshold: spec.saturation.thresholdPercent,
      unit: '%',
    });
  }
  return out;
}
