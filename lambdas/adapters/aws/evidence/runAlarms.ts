/**
 * The golden-signal alarms of a run's ephemeral (test) environment on AWS (issue 12: per-run keys): the
 * provision task creates them with PutMetricAlarm, destroy (and the reconciler) deletes them. Their
 * names are `alarmName(service, evidenceEnvironment(name, runKey), signal)`, the key the run's bots
 * file their metrics under, so the alarm-event rule (prefix `vouch.`) and the window of that run find
 * them, and two runs of one commit never share one. Definitions are the same typed ones the service
 * stacks and the local metric store use (core/evidence/alarms.ts).
 */
import {
  type CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  type MetricDataQuery,
  PutMetricAlarmCommand,
  type PutMetricAlarmCommandInput,
} from '@aws-sdk/client-cloudwatch';
import { type AlarmDefinition, alarmDefinitions } from '../../../core/evidence/alarms.ts';
import { METRIC_NAMESPACE } from '../../../core/evidence/metrics.ts';
import type { RunAlarmsPort } from '../../../core/pipeline/tasks.ts';
import { evidenceEnvironment } from '../../../core/target/naming.ts';
import { AwsEnvironmentError } from '../errors.ts';
import { TAG } from '../target/tags.ts';

/** CloudWatch: "AlarmName ... Length Constraints: Minimum length of 1. Maximum length of 255." */
export const ALARM_NAME_MAX = 255;
/** DeleteAlarms takes at most 100 names per call. */
const DELETE_BATCH = 100;

/** `vouch.<service>.<name>-<runKey>.`: every alarm of one run's environment, and no other run's. */
export function runAlarmPrefix(environmentId: string): string {
  const [service, name, runKey, ...rest] = environmentId.split('.');
  if (!service || !name || !runKey || rest.length > 0)
    throw new AwsEnvironmentError(
      `${environmentId} is not an ephemeral environment id (<service>.<name>.<run>)`,
    );
  return `vouch.${service}.${evidenceEnvironment(name, runKey)}.`;
}

/** The PutMetricAlarm request of one definition: a single metric, or metric math for a ratio. */
export function putMetricAlarmInput(
  definition: AlarmDefinition,
  tags: Readonly<Record<string, string>>,
): PutMetricAlarmCommandInput {
  if (definition.name.length > ALARM_NAME_MAX)
    throw new AwsEnvironmentError(
      `alarm name ${definition.name} has ${definition.name.length} characters; CloudWatch allows ${ALARM_NAME_MAX}`,
    );
  const dimensions = Object.entries(definition.dimensions).map(([Name, Value]) => ({ Name, Value }));
  const metric =
    definition.metric.kind === 'metric'
      ? {
          Namespace: METRIC_NAMESPACE,
          MetricName: definition.metric.metricName,
          Dimensions: dimensions,
          Period: definition.periodSeconds,
          // Percentiles are extended statistics in CloudWatch's alarm API.
          ...(/^p\d/.test(definition.metric.statistic)
            ? { ExtendedStatistic: definition.metric.statistic }
            : { Statistic: definition.metric.statistic as 'Sum' }),
        }
      : {
          // Same formula as the service stacks' alarms and the local evaluator: 100 * Sum(num) / Sum(den).
          Metrics: [
            ...(['numerator', 'denominator'] as const).map(
              (id): MetricDataQuery => ({
                Id: id,
                ReturnData: false,
                MetricStat: {
                  Metric: {
                    Namespace: METRIC_NAMESPACE,
                    MetricName: definition.metric.kind === 'ratioPercent' ? definition.metric[id] : '',
                    Dimensions: dimensions,
                  },
                  Period: definition.periodSeconds,
                  Stat: 'Sum',
                },
              }),
            ),
            {
              Id: 'ratio',
              Expression: '100 * numerator / denominator',
              Label: `${definition.signal} (%)`,
              ReturnData: true,
            },
          ],
        };
  return {
    AlarmName: definition.name,
    AlarmDescription: `Vouch: ${definition.signal} of ${definition.service} in ${definition.environment} (${definition.comparison} ${definition.threshold} ${definition.unit}), per run`,
    ...metric,
    Threshold: definition.threshold,
    ComparisonOperator: definition.comparison,
    EvaluationPeriods: definition.evaluationPeriods,
    DatapointsToAlarm: definition.datapointsToAlarm,
    TreatMissingData: definition.treatMissingData,
    ...(definition.statistic?.startsWith('p')
      ? { EvaluateLowSampleCountPercentile: definition.evaluateLowSampleCountPercentile ?? 'evaluate' }
      : {}),
    ActionsEnabled: false,
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  };
}

export function cloudWatchRunAlarms(cloudWatch: CloudWatchClient): RunAlarmsPort {
  return {
    async create(environment, alarms) {
      const runKey = environment.id.split('.')[2];
      if (!environment.ephemeral || runKey === undefined)
        throw new AwsEnvironmentError(`per-run alarms are for ephemeral environments, not ${environment.id}`);
      const definitions = alarmDefinitions(
        alarms,
        environment.service,
        evidenceEnvironment(environment.name, runKey),
      );
      // Cost tags like every resource, and the environment id the reconciler and destroy find them by.
      const tags = {
        ...environment.tags,
        [TAG.environment]: environment.name,
        [TAG.environmentId]: environment.id,
      };
      for (const d of definitions)
        await cloudWatch.send(new PutMetricAlarmCommand(putMetricAlarmInput(d, tags)));
      return definitions.map((d) => d.name);
    },
    async remove(environmentId) {
      const prefix = runAlarmPrefix(environmentId);
      const names: string[] = [];
      let next: string | undefined;
      do {
        const page = await cloudWatch.send(
          new DescribeAlarmsCommand({
            AlarmNamePrefix: prefix,
            AlarmTypes: ['MetricAlarm'],
            NextToken: next,
          }),
        );
        names.push(...(page.MetricAlarms ?? []).flatMap((a) => (a.AlarmName ? [a.AlarmName] : [])));
        next = page.NextToken;
      } while (next);
      for (let i = 0; i < names.length; i += DELETE_BATCH)
        await cloudWatch.send(new DeleteAlarmsCommand({ AlarmNames: names.slice(i, i + DELETE_BATCH) }));
      return names;
    },
  };
}
