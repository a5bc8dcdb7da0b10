/**
 * CloudWatch on the twin: a datapoint store fed by PutMetricData and by the embedded metric format
 * (EMF) lines a Lambda prints (as CloudWatch Logs extracts them), GetMetricData over it for MetricStat
 * queries, and the templates' AWS::CloudWatch::Alarm resources for DescribeAlarms and
 * DescribeAlarmHistory (state INSUFFICIENT_DATA until a transition is recorded).
 */
import type { AuthorizationRequest } from '../iam.ts';
import type { ServiceFake } from '../sdk.ts';
import { type DeployedTemplates, TWIN_ACCOUNT, TWIN_PARTITION, TWIN_REGION } from '../template.ts';

interface Datum {
  readonly namespace: string;
  readonly name: string;
  /** Sorted `Name=Value` pairs joined by `,`. */
  readonly dimensions: string;
  readonly at: number;
  readonly value: number;
}

export interface TwinAlarm {
  readonly name: string;
  readonly properties: Record<string, unknown>;
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  readonly history: { at: number; data: string; summary: string }[];
}

const alarmArn = (name: string) =>
  `arn:${TWIN_PARTITION}:cloudwatch:${TWIN_REGION}:${TWIN_ACCOUNT}:alarm:${name}`;
const dimensionKey = (dims: readonly { Name?: string; Value?: string }[] | undefined) =>
  (dims ?? [])
    .map((d) => `${d.Name}=${d.Value}`)
    .sort()
    .join(',');

function statistic(values: number[], stat: string): number {
  if (stat === 'Sum') return values.reduce((a, b) => a + b, 0);
  if (stat === 'SampleCount') return values.length;
  if (stat === 'Average') return values.reduce((a, b) => a + b, 0) / values.length;
  if (stat === 'Minimum') return Math.min(...values);
  if (stat === 'Maximum') return Math.max(...values);
  const p = /^p(\d+(?:\.\d+)?)$/.exec(stat);
  if (p) {
    const sorted = [...values].sort((a, b) => a - b);
    const rank = Math.ceil((Number(p[1]) / 100) * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank))] as number;
  }
  throw new Error(`statistic ${stat} is not modelled by the twin`);
}

export class TwinCloudWatch {
  readonly data: Datum[] = [];
  /** The same datapoints by metric (namespace, name, dimensions): a query reads one series, not all. */
  private readonly series = new Map<string, Datum[]>();

  private add(d: Datum): void {
    this.data.push(d);
    const key = `${d.namespace}|${d.name}|${d.dimensions}`;
    const series = this.series.get(key);
    if (series) series.push(d);
    else this.series.set(key, [d]);
  }
  readonly alarms = new Map<string, TwinAlarm>();

  constructor(templates: DeployedTemplates) {
    for (const { stackName, resource } of templates.resourcesOfType('AWS::CloudWatch::Alarm')) {
      const properties = templates.resolve(stackName, resource.Properties) as Record<string, unknown>;
      const name = String(properties.AlarmName);
      this.alarms.set(name, { name, properties, state: 'INSUFFICIENT_DATA', history: [] });
    }
  }

  /** One datapoint a service publishes itself (the load balancer's AWS/ApplicationELB metrics). */
  record(
    namespace: string,
    name: string,
    dimensions: readonly { Name: string; Value: string }[],
    value: number,
    at = Date.now(),
  ): void {
    this.add({ namespace, name, dimensions: dimensionKey(dimensions), at, value });
  }

  /** One EMF document (`_aws.CloudWatchMetrics`), as CloudWatch Logs turns it into metrics. */
  ingestEmf(doc: Record<string, unknown>): void {
    const aws = doc._aws as
      | {
          Timestamp?: number;
          CloudWatchMetrics?: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
        }
      | undefined;
    for (const directive of aws?.CloudWatchMetrics ?? []) {
      for (const dimensionSet of directive.Dimensions) {
        const dimensions = dimensionSet
          .map((d) => `${d}=${String(doc[d])}`)
          .sort()
          .join(',');
        for (const metric of directive.Metrics) {
          const raw = doc[metric.Name];
          for (const value of [raw].flat()) {
            if (typeof value !== 'number') continue;
            this.add({
              namespace: directive.Namespace,
              name: metric.Name,
              dimensions,
              at: aws?.Timestamp ?? Date.now(),
              value,
            });
          }
        }
      }
    }
  }

  fake(): ServiceFake {
    return {
      authorization: (command, input): AuthorizationRequest[] => {
        switch (command) {
          case 'DescribeAlarms':
            return [
              {
                action: 'cloudwatch:DescribeAlarms',
                resource: alarmArn(`${String(input.AlarmNamePrefix ?? '')}*`),
              },
            ];
          case 'DescribeAlarmHistory':
            return [
              { action: 'cloudwatch:DescribeAlarmHistory', resource: alarmArn(String(input.AlarmName)) },
            ];
          case 'PutMetricData':
            return [
              {
                action: 'cloudwatch:PutMetricData',
                resource: '*',
                context: { 'cloudwatch:namespace': String(input.Namespace) },
              },
            ];
          default:
            // GetMetricData, GetMetricWidgetImage, ListMetrics: no resource types (service authorization reference).
            return [{ action: `cloudwatch:${command}`, resource: '*' }];
        }
      },
      handle: async (command, input) => {
        switch (command) {
          case 'PutMetricData': {
            for (const d of (input.MetricData as {
              MetricName: string;
              Dimensions?: { Name: string; Value: string }[];
              Timestamp?: Date;
              Value?: number;
              Values?: number[];
            }[]) ?? []) {
              for (const value of d.Values ?? [d.Value ?? 0]) {
                this.add({
                  namespace: String(input.Namespace),
                  name: d.MetricName,
                  dimensions: dimensionKey(d.Dimensions),
                  at: d.Timestamp ? new Date(d.Timestamp).getTime() : Date.now(),
                  value,
                });
              }
            }
            return {};
          }
          case 'GetMetricData':
            return { MetricDataResults: this.getMetricData(input) };
          case 'DescribeAlarms': {
            const prefix = String(input.AlarmNamePrefix ?? '');
            const names = input.AlarmNames as string[] | undefined;
            const alarms = [...this.alarms.values()].filter((a) =>
              names ? names.includes(a.name) : a.name.startsWith(prefix),
            );
            return {
              MetricAlarms: alarms.map((a) => ({
                ...a.properties,
                AlarmArn: alarmArn(a.name),
                StateValue: a.state,
              })),
            };
          }
          case 'DescribeAlarmHistory': {
            const alarm = this.alarms.get(String(input.AlarmName));
            const from = input.StartDate ? new Date(input.StartDate as Date).getTime() : 0;
            const to = input.EndDate ? new Date(input.EndDate as Date).getTime() : Number.POSITIVE_INFINITY;
            return {
              AlarmHistoryItems: (alarm?.history ?? [])
                .filter((h) => h.at >= from && h.at <= to)
                .map((h) => ({
                  AlarmName: alarm?.name,
                  Timestamp: new Date(h.at),
                  HistoryItemType: 'StateUpdate',
                  HistoryData: h.data,
                  HistorySummary: h.summary,
                })),
            };
          }
          default:
            throw new Error(`the twin has no fake for cloudwatch ${command}`);
        }
      },
    };
  }

  /** MetricStat queries, one value per period with data (CloudWatch omits empty periods). */
  private getMetricData(input: Record<string, unknown>) {
    const start = new Date(input.StartTime as Date).getTime();
    const end = new Date(input.EndTime as Date).getTime();
    const queries = input.MetricDataQueries as {
      Id: string;
      MetricStat?: {
        Metric: { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: string }[] };
        Period: number;
        Stat: string;
      };
    }[];
    return queries
      .filter((q) => q.MetricStat !== undefined)
      .map((q) => {
        const stat = q.MetricStat as NonNullable<(typeof q)['MetricStat']>;
        const key = dimensionKey(stat.Metric.Dimensions);
        const periodMs = stat.Period * 1000;
        const buckets = new Map<number, number[]>();
        for (const d of this.series.get(`${stat.Metric.Namespace}|${stat.Metric.MetricName}|${key}`) ?? []) {
          if (d.at < start || d.at >= end) continue;
          const bucket = start + Math.floor((d.at - start) / periodMs) * periodMs;
          const values = buckets.get(bucket);
          if (values) values.push(d.value);
          else buckets.set(bucket, [d.value]);
        }
        const periods = [...buckets.keys()].sort((a, b) => a - b);
        return {
          Id: q.Id,
          Label: stat.Metric.MetricName,
          Timestamps: periods.map((p) => new Date(p)),
          Values: periods.map((p) => statistic(buckets.get(p) as number[], stat.Stat)),
          StatusCode: 'Complete',
        };
      });
  }
}
