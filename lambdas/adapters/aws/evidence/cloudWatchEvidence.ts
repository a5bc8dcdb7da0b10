/**
 * The evidence of a window on AWS: the service's alarms (DescribeAlarms by name prefix), their state
 * changes (DescribeAlarmHistory) and the bot request count (GetMetricData).
 */
import {
  type CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  HistoryItemType,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import type { AlarmState, ComparisonOperator, Datapoint } from '../../../core/evidence/alarmEvaluator.ts';
import { alarmName, parseAlarmName } from '../../../core/evidence/alarms.ts';
import { EvidenceUnavailableError } from '../../../core/evidence/errors.ts';
import type {
  AlarmEvidence,
  AlarmTransition,
  EvidenceQuery,
  EvidenceReader,
} from '../../../core/evidence/evidence.ts';
import { METRIC, METRIC_NAMESPACE } from '../../../core/evidence/metrics.ts';

const UNITS = { errorRate: '%', latency: 'ms', traffic: 'requests', saturation: '%' } as const;
/** How far before the window history is read to know each alarm's state at the window's start. */
const LOOKBACK_MS = 24 * 3_600_000;

export function cloudWatchEvidence(client: CloudWatchClient): EvidenceReader {
  return {
    async readEvidence(q: EvidenceQuery) {
      try {
        const prefix = alarmName(q.service, q.environment, 'errorRate').replace(/errorRate$/, '');
        const described = await client.send(
          new DescribeAlarmsCommand({ AlarmNamePrefix: prefix, MaxRecords: 100 }),
        );
        const alarms: AlarmEvidence[] = [];
        for (const alarm of described.MetricAlarms ?? []) {
          const parsed = parseAlarmName(alarm.AlarmName ?? '');
          if (parsed === undefined) continue;
          const history = await readTransitions(client, alarm.AlarmName ?? '', q.start - LOOKBACK_MS, q.end);
          const before = history.filter((t) => t.at < q.start).at(-1);
          const inside = history.filter((t) => t.at >= q.start && t.at < q.end);
          alarms.push({
            name: alarm.AlarmName ?? '',
            signal: parsed.signal,
            comparison: (alarm.ComparisonOperator ?? 'GreaterThanThreshold') as ComparisonOperator,
            threshold: alarm.Threshold ?? 0,
            unit: UNITS[parsed.signal],
            periodSeconds: periodOf(alarm),
            evaluationPeriods: alarm.EvaluationPeriods ?? 1,
            datapointsToAlarm: alarm.DatapointsToAlarm ?? alarm.EvaluationPeriods ?? 1,
            stateAtStart:
              before?.to ?? inside[0]?.from ?? ((alarm.StateValue ?? 'INSUFFICIENT_DATA') as AlarmState),
            transitions: inside,
            datapoints: inside.at(-1)?.datapoints ?? [],
          });
        }
        return { alarms, botSamples: await botSamples(client, q) };
      } catch (error) {
        throw new EvidenceUnavailableError(`cannot read the evidence of ${q.service}/${q.environment}`, {
          cause: error,
        });
      }
    },
  };
}

function periodOf(alarm: MetricAlarm): number {
  return (
    alarm.Period ?? alarm.Metrics?.find((m) => m.MetricStat?.Period !== undefined)?.MetricStat?.Period ?? 60
  );
}

interface HistoryData {
  oldState?: { stateValue?: string };
  newState?: {
    stateValue?: string;
    stateReason?: string;
    stateReasonData?: { recentDatapoints?: number[]; startDate?: string; period?: number };
  };
}

async function readTransitions(
  client: CloudWatchClient,
  name: string,
  from: number,
  to: number,
): Promise<AlarmTransition[]> {
  const out: AlarmTransition[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new DescribeAlarmHistoryCommand({
        AlarmName: name,
        HistoryItemType: HistoryItemType.StateUpdate,
        StartDate: new Date(from),
        EndDate: new Date(to),
        ScanBy: 'TimestampAscending',
        ...(nextToken === undefined ? {} : { NextToken: nextToken }),
      }),
    );
    for (const item of page.AlarmHistoryItems ?? []) {
      const data = JSON.parse(item.HistoryData ?? '{}') as HistoryData;
      const reasonData = data.newState?.stateReasonData;
      const periodMs = (reasonData?.period ?? 60) * 1000;
      const first =
        reasonData?.startDate === undefined
          ? (item.Timestamp?.getTime() ?? 0)
          : Date.parse(reasonData.startDate);
      const datapoints: Datapoint[] = (reasonData?.recentDatapoints ?? []).map((value, i) => ({
        periodStart: first + i * periodMs,
        value,
        samples: 1,
      }));
      out.push({
        at: item.Timestamp?.getTime() ?? 0,
        from: (data.oldState?.stateValue ?? 'INSUFFICIENT_DATA') as AlarmState,
        to: (data.newState?.stateValue ?? 'INSUFFICIENT_DATA') as AlarmState,
        reason: data.newState?.stateReason ?? item.HistorySummary ?? '',
        datapoints,
      });
    }
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  return out.sort((a, b) => a.at - b.at);
}

async function botSamples(client: CloudWatchClient, q: EvidenceQuery): Promise<number> {
  // One datapoint per minute over the window; SampleCount of `requests` = bot requests sent.
  const result = await client.send(
    new GetMetricDataCommand({
      StartTime: new Date(q.start),
      EndTime: new Date(q.end),
      MetricDataQueries: [
        {
          Id: 'requests',
          MetricStat: {
            Metric: {
              Namespace: METRIC_NAMESPACE,
              MetricName: METRIC.requests,
              Dimensions: [
                { Name: 'service', Value: q.service },
                { Name: 'environment', Value: q.environment },
              ],
            },
            Period: 60,
            Stat: 'SampleCount',
          },
        },
      ],
    }),
  );
  return (result.MetricDataResults?.[0]?.Values ?? []).reduce((a, b) => a + b, 0);
}
