import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { ComparisonOperator } from '../../lambdas/core/evidence/alarmEvaluator.ts';
import { type AlarmDefinition, alarmDefinitions } from '../../lambdas/core/evidence/alarms.ts';
import { METRIC_NAMESPACE } from '../../lambdas/core/evidence/metrics.ts';
import type { AlarmsSpec, TreatMissingData } from '../../lambdas/core/evidence/spec.ts';

export interface GoldenSignalAlarmsProps {
  readonly service: string;
  readonly environment: string;
  /** Thresholds: the `alarms` section of `.vouch.yml`, parsed (every field has its default). */
  readonly alarms: AlarmsSpec;
}

const COMPARISON: Record<ComparisonOperator, cloudwatch.ComparisonOperator> = {
  GreaterThanThreshold: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
  GreaterThanOrEqualToThreshold: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  LessThanThreshold: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
  LessThanOrEqualToThreshold: cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
};

const MISSING_DATA: Record<TreatMissingData, cloudwatch.TreatMissingData> = {
  missing: cloudwatch.TreatMissingData.MISSING,
  breaching: cloudwatch.TreatMissingData.BREACHING,
  notBreaching: cloudwatch.TreatMissingData.NOT_BREACHING,
  ignore: cloudwatch.TreatMissingData.IGNORE,
};

/** The CloudWatch metric or metric-math expression an alarm definition evaluates. */
export function alarmMetricOf(definition: AlarmDefinition): cloudwatch.IMetric {
  const period = Duration.seconds(definition.periodSeconds);
  const metric = (metricName: string, statistic: string) =>
    new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE,
      metricName,
      dimensionsMap: { ...definition.dimensions },
      statistic,
      period,
    });
  if (definition.metric.kind === 'metric')
    return metric(definition.metric.metricName, definition.metric.statistic);
  return new cloudwatch.MathExpression({
    // Same formula as the local evaluator: 100 * Sum(numerator) / Sum(denominator).
    expression: '100 * numerator / denominator',
    usingMetrics: {
      numerator: metric(definition.metric.numerator, 'Sum'),
      denominator: metric(definition.metric.denominator, 'Sum'),
    },
    label: `${definition.signal} (%)`,
    period,
  });
}

/**
 * The golden-signal alarms of one (service, environment), from the same typed definitions the local
 * metric store evaluates (lambdas/core/evidence/alarms.ts), so names and semantics cannot drift.
 */
export class GoldenSignalAlarms extends Construct {
  readonly alarms: ReadonlyMap<string, cloudwatch.Alarm>;
  readonly definitions: readonly AlarmDefinition[];

  constructor(scope: Construct, id: string, props: GoldenSignalAlarmsProps) {
    super(scope, id);
    this.definitions = alarmDefinitions(props.alarms, props.service, props.environment);
    const alarms = new Map<string, cloudwatch.Alarm>();
    for (const definition of this.definitions) {
      alarms.set(
        definition.signal,
        new cloudwatch.Alarm(this, definition.signal, {
          alarmName: definition.name,
          alarmDescription: `Vouch: ${definition.signal} of ${props.service} in ${props.environment} (${definition.comparison} ${definition.threshold} ${definition.unit})`,
          metric: alarmMetricOf(definition),
          threshold: definition.threshold,
          comparisonOperator: COMPARISON[definition.comparison],
          evaluationPeriods: definition.evaluationPeriods,
          datapointsToAlarm: definition.datapointsToAlarm,
          treatMissingData: MISSING_DATA[definition.treatMissingData],
          ...(definition.statistic?.startsWith('p')
            ? { evaluateLowSampleCountPercentile: definition.evaluateLowSampleCountPercentile ?? 'evaluate' }
            : {}),
        }),
      );
    }
    this.alarms = alarms;
  }
}
