/**
 * CloudWatch on the twin: a datapoint store fed by PutMetricData and by the embedded metric format
 * (EMF) lines a Lambda prints (as CloudWatch Logs extracts them), GetMetricData over it for MetricStat
 * queries, and the templates' AWS::CloudWatch::Alarm resources with those PutMetricAlarm creates (a
 * run's own alarms, with their tags; DeleteAlarms removes them) for DescribeAlarms (by name prefix,
 * paged), ListTagsForResource and DescribeAlarmHistory (state INSUFFICIENT_DATA until a transition is
 * recorded). The alarms are evaluated on the store with
 * CloudWatch's semantics (lambdas/core/evidence/alarmEvaluator.ts, the local platform's evaluator)
 * once a minute of twin time; each state change is recorded in the alarm's history and sent, as
 * CloudWatch sends it, to EventBridge (`onStateChange`).
 */
import { randomUUID } from 'node:crypto';
import { ResourceNotFound, ResourceNotFoundException } from '@aws-sdk/client-cloudwatch';
import {
  type AlarmState,
  type ComparisonOperator,
  computeStatistic,
  type Datapoint,
  evaluateAlarm,
  type Statistic,
} from '../../core/evidence/alarmEvaluator.ts';
import type { TreatMissingData } from '../../core/evidence/spec.ts';
import { TwinTemplateError, UnmodelledCallError } from '../errors.ts';
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
  /** Its configuration as put (PutMetricAlarm's input, or the template's properties), without Tags. */
  readonly properties: Record<string, unknown>;
  /** Kept apart: DescribeAlarms does not return them, ListTagsForResource does. */
  readonly tags: readonly { Key: string; Value: string }[];
  /** When its configuration was last put (DescribeAlarms' AlarmConfigurationUpdatedTimestamp). */
  configuredAt: number;
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  readonly history: { at: number; data: string; summary: string }[];
}

const alarmArn = (name: string) =>
  `arn:${TWIN_PARTITION}:cloudwatch:${TWIN_REGION}:${TWIN_ACCOUNT}:alarm:${name}`;
/** DescribeAlarms: "MaxRecords ... Valid Range: Minimum value of 1. Maximum value of 100." (default 50). */
const DESCRIBE_ALARMS_PAGE = { default: 50, max: 100 };
type TagList = { Key: string; Value: string }[];
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
  throw new UnmodelledCallError('cloudwatch', 'GetMetricData', `statistic ${stat}`);
}

interface AlarmMetricQuery {
  readonly Id: string;
  readonly Expression?: string;
  readonly ReturnData?: boolean;
  readonly MetricStat?: {
    readonly Metric: {
      Namespace: string;
      MetricName: string;
      Dimensions?: { Name: string; Value: string }[];
    };
    readonly Period: number;
    readonly Stat: string;
  };
}

/** One alarm state change as CloudWatch records it and as the EventBridge event carries it. */
export interface AlarmStateChange {
  readonly alarm: string;
  readonly from: AlarmState;
  readonly to: AlarmState;
  readonly reason: string;
  readonly at: number;
}

export class TwinCloudWatch {
  private readonly stored: Datum[] = [];
  /** Every datapoint, in arrival order; add them with `record`, `PutMetricData` or `ingestEmf`. */
  get data(): readonly Datum[] {
    return this.stored;
  }
  /** The same datapoints by metric (namespace, name, dimensions): a query reads one series, not all. */
  private readonly series = new Map<string, Datum[]>();

  private add(d: Datum): void {
    this.stored.push(d);
    const key = `${d.namespace}|${d.name}|${d.dimensions}`;
    const series = this.series.get(key);
    if (!series) {
      this.series.set(key, [d]);
      return;
    }
    // Kept in time order (a datapoint with an earlier timestamp, e.g. EMF's, is placed where it belongs).
    let i = series.length;
    while (i > 0 && (series[i - 1] as Datum).at > d.at) i--;
    series.splice(i, 0, d);
  }
  readonly alarms = new Map<string, TwinAlarm>();
  readonly stateChanges: AlarmStateChange[] = [];
  /** Where each state change goes: EventBridge's default bus, as "CloudWatch Alarm State Change". */
  onStateChange?: (event: Record<string, unknown>) => void;
  private evaluator: ReturnType<typeof setInterval> | undefined;

  constructor(templates: DeployedTemplates) {
    for (const { stackName, resource } of templates.resourcesOfType('AWS::CloudWatch::Alarm')) {
      const { Tags, ...properties } = templates.resolve(stackName, resource.Properties) as Record<
        string,
        unknown
      >;
      const name = String(properties.AlarmName);
      this.alarms.set(name, {
        name,
        properties,
        tags: (Tags as TagList | undefined) ?? [],
        configuredAt: Date.now(),
        state: 'INSUFFICIENT_DATA',
        history: [],
      });
    }
  }

  /** Evaluates every alarm once a minute of twin time (CloudWatch evaluates each period-60 alarm every minute). */
  startEvaluating(): void {
    this.evaluator ??= setInterval(() => this.evaluateAlarms(), 60_000);
  }

  stopEvaluating(): void {
    clearInterval(this.evaluator);
    this.evaluator = undefined;
  }

  /**
   * Evaluates each alarm on its last EvaluationPeriods complete periods before `now`; records and sends
   * every state change. Returns the changes of this evaluation.
   */
  evaluateAlarms(now: number = Date.now()): AlarmStateChange[] {
    const changes: AlarmStateChange[] = [];
    for (const alarm of this.alarms.values()) {
      const p = alarm.properties;
      const period = Number(
        p.Period ??
          (p.Metrics as AlarmMetricQuery[] | undefined)?.find((m) => m.MetricStat)?.MetricStat?.Period,
      );
      const n = Number(p.EvaluationPeriods);
      const end = Math.floor(now / (period * 1000)) * period * 1000;
      const datapoints: Datapoint[] = [];
      for (let i = n; i >= 1; i--)
        datapoints.push(this.alarmDatapoint(alarm, end - i * period * 1000, period));
      const statistic = (p.ExtendedStatistic ?? p.Statistic) as Statistic | undefined;
      const evaluation = evaluateAlarm(
        {
          comparison: p.ComparisonOperator as ComparisonOperator,
          threshold: Number(p.Threshold),
          periodSeconds: period,
          evaluationPeriods: n,
          datapointsToAlarm: Number(p.DatapointsToAlarm ?? n),
          treatMissingData: (p.TreatMissingData ?? 'missing') as TreatMissingData,
          ...(p.EvaluateLowSampleCountPercentile === 'ignore'
            ? { evaluateLowSampleCountPercentile: 'ignore' as const }
            : {}),
          ...(statistic ? { statistic } : {}),
        },
        datapoints,
        alarm.state,
      );
      if (evaluation.state === alarm.state) continue;
      const change: AlarmStateChange = {
        alarm: alarm.name,
        from: alarm.state,
        to: evaluation.state,
        reason: `Threshold Crossed: ${evaluation.reason}`,
        at: now,
      };
      const present = datapoints.filter((d) => d.value !== undefined);
      const reasonData = {
        version: '1.0',
        queryDate: new Date(now).toISOString(),
        startDate: new Date(present[0]?.periodStart ?? end - n * period * 1000).toISOString(),
        period,
        recentDatapoints: present.map((d) => d.value),
        threshold: Number(p.Threshold),
        ...(statistic ? { statistic } : {}),
      };
      const previous = alarm.history.at(-1);
      alarm.history.push({
        at: now,
        summary: `Alarm updated from ${change.from} to ${change.to}`,
        data: JSON.stringify({
          version: '1.0',
          oldState: { stateValue: change.from },
          newState: { stateValue: change.to, stateReason: change.reason, stateReasonData: reasonData },
        }),
      });
      alarm.state = evaluation.state;
      this.stateChanges.push(change);
      changes.push(change);
      // "CloudWatch Alarm State Change" as CloudWatch sends it to EventBridge (CloudWatch user guide,
      // "Alarm events and EventBridge").
      this.onStateChange?.({
        id: randomUUID(),
        'detail-type': 'CloudWatch Alarm State Change',
        source: 'aws.cloudwatch',
        account: TWIN_ACCOUNT,
        time: new Date(now).toISOString(),
        region: TWIN_REGION,
        resources: [alarmArn(alarm.name)],
        detail: {
          alarmName: alarm.name,
          state: {
            value: change.to,
            reason: change.reason,
            reasonData: JSON.stringify(reasonData),
            timestamp: new Date(now).toISOString(),
          },
          previousState: {
            value: change.from,
            timestamp: new Date(previous?.at ?? now).toISOString(),
          },
          configuration: { description: p.AlarmDescription, metrics: p.Metrics ?? [] },
        },
      });
    }
    return changes;
  }

  /**
   * The values of one series in [from, from + ms): a binary search on the series (datapoints arrive
   * nearly in time order; a late one is placed by `add`), not a scan of every datapoint stored, which
   * grows with the bots' traffic and, evaluated for every alarm each minute, slowed the whole twin.
   */
  private periodValues(key: string, from: number, ms: number): number[] {
    const series = this.series.get(key) ?? [];
    let lo = 0;
    let hi = series.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((series[mid] as Datum).at < from) lo = mid + 1;
      else hi = mid;
    }
    const values: number[] = [];
    for (let i = lo; i < series.length && (series[i] as Datum).at < from + ms; i++)
      values.push((series[i] as Datum).value);
    return values;
  }

  /** One period of an alarm's metric: a statistic over the raw values, or its metric math expression. */
  private alarmDatapoint(alarm: TwinAlarm, periodStart: number, period: number): Datapoint {
    const p = alarm.properties;
    const valuesOf = (
      namespace: string,
      name: string,
      dimensions: { Name: string; Value: string }[] | undefined,
    ) => this.periodValues(`${namespace}|${name}|${dimensionKey(dimensions)}`, periodStart, period * 1000);
    if (typeof p.MetricName === 'string') {
      const values = valuesOf(
        String(p.Namespace),
        p.MetricName,
        p.Dimensions as { Name: string; Value: string }[] | undefined,
      );
      const value = computeStatistic(values, (p.ExtendedStatistic ?? p.Statistic) as Statistic);
      return { periodStart, samples: values.length, ...(value === undefined ? {} : { value }) };
    }
    const queries = (p.Metrics ?? []) as AlarmMetricQuery[];
    const result = queries.find((q) => q.ReturnData !== false && q.Expression);
    // The expression the golden-signal alarms use: `<k> * <a> / <b>` over two MetricStat queries.
    const m = /^(\d+(?:\.\d+)?)\s*\*\s*(\w+)\s*\/\s*(\w+)$/.exec(result?.Expression ?? '');
    if (!m)
      throw new TwinTemplateError(`alarm ${alarm.name}: the twin evaluates only "k * a / b" expressions`);
    const stat = (id: string) => {
      const q = queries.find((x) => x.Id === id)?.MetricStat;
      if (!q) throw new TwinTemplateError(`alarm ${alarm.name}: no MetricStat ${id}`);
      const values = valuesOf(q.Metric.Namespace, q.Metric.MetricName, q.Metric.Dimensions);
      return { value: computeStatistic(values, q.Stat as Statistic), samples: values.length };
    };
    const a = stat(m[2] as string);
    const b = stat(m[3] as string);
    // Metric math yields no value where an operand has none (or for a division by zero).
    if (a.value === undefined || b.value === undefined || b.value === 0)
      return { periodStart, samples: b.samples };
    return { periodStart, samples: b.samples, value: (Number(m[1]) * a.value) / b.value };
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
          case 'PutMetricAlarm': {
            const arn = alarmArn(String(input.AlarmName));
            const tags = (input.Tags as { Key: string; Value: string }[] | undefined) ?? [];
            // Tags in the call are also authorised as cloudwatch:TagResource (CloudWatch API reference).
            return [
              { action: 'cloudwatch:PutMetricAlarm', resource: arn },
              ...(tags.length > 0
                ? [
                    {
                      action: 'cloudwatch:TagResource',
                      resource: arn,
                      context: {
                        ...Object.fromEntries(tags.map((t) => [`aws:RequestTag/${t.Key}`, t.Value])),
                        'aws:TagKeys': tags.map((t) => t.Key),
                      },
                    },
                  ]
                : []),
            ];
          }
          case 'ListTagsForResource':
            return [{ action: 'cloudwatch:ListTagsForResource', resource: String(input.ResourceARN) }];
          case 'DeleteAlarms':
            return ((input.AlarmNames as string[] | undefined) ?? []).map((name) => ({
              action: 'cloudwatch:DeleteAlarms',
              resource: alarmArn(name),
            }));
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
            // Every alarm here is a metric alarm; AlarmTypes omitted means MetricAlarm only.
            const types = (input.AlarmTypes as string[] | undefined) ?? ['MetricAlarm'];
            if (!types.includes('MetricAlarm')) return { MetricAlarms: [], CompositeAlarms: [] };
            const alarms = [...this.alarms.values()]
              .filter((a) => (names ? names.includes(a.name) : a.name.startsWith(prefix)))
              .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
            // Paged by MaxRecords; the twin's NextToken is the offset of the next page.
            const size = Math.min(
              Number(input.MaxRecords ?? DESCRIBE_ALARMS_PAGE.default),
              DESCRIBE_ALARMS_PAGE.max,
            );
            const from = Number(input.NextToken ?? 0);
            const next = from + size < alarms.length ? { NextToken: String(from + size) } : {};
            return {
              MetricAlarms: alarms.slice(from, from + size).map((a) => ({
                ...a.properties,
                AlarmArn: alarmArn(a.name),
                AlarmConfigurationUpdatedTimestamp: new Date(a.configuredAt),
                StateValue: a.state,
              })),
              ...next,
            };
          }
          case 'ListTagsForResource': {
            const arn = String(input.ResourceARN);
            const alarm = [...this.alarms.values()].find((a) => alarmArn(a.name) === arn);
            if (!alarm) throw new ResourceNotFoundException({ message: `${arn} not found`, $metadata: {} });
            return { Tags: alarm.tags.map((t) => ({ ...t })) };
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
          case 'PutMetricAlarm': {
            // Created or replaced, as CloudWatch does; a new alarm starts INSUFFICIENT_DATA. "If you are
            // using this operation to update an existing alarm, any tags you specify in this parameter
            // are ignored" (PutMetricAlarm, Tags).
            const { Tags, ...properties } = input;
            const name = String(input.AlarmName);
            const before = this.alarms.get(name);
            this.alarms.set(name, {
              name,
              properties,
              tags: before?.tags ?? (Tags as TagList | undefined) ?? [],
              configuredAt: Date.now(),
              state: before?.state ?? 'INSUFFICIENT_DATA',
              history: before?.history ?? [],
            });
            return {};
          }
          case 'DeleteAlarms': {
            const names = (input.AlarmNames as string[] | undefined) ?? [];
            const missing = names.filter((n) => !this.alarms.has(n));
            if (missing.length > 0)
              throw new ResourceNotFound({
                message: `alarms not found: ${missing.join(', ')}`,
                $metadata: {},
              });
            for (const n of names) this.alarms.delete(n);
            return {};
          }
          default:
            throw new UnmodelledCallError('cloudwatch', command);
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
