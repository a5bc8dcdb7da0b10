/**
 * The canary judge's series on AWS. Per-request latencies are not in CloudWatch, so, as Kayenta does,
 * the judge compares metric time series: per period and per slot target group, the ALB's
 * `RequestCount` (Sum), `HTTPCode_Target_5XX_Count` (Sum) and `TargetResponseTime` p50/p90/p99
 * (seconds -> ms), joined by timestamp into the shape the local metric store gives
 * (lambdas/core/canary/periods.ts). One GetMetricData call (paginated) reads both slots.
 */
import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import {
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  type ElasticLoadBalancingV2Client,
  type TargetGroup,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { CanaryPeriod, CanarySeries } from '../../../core/canary/periods.ts';
import { ephemeralTargetGroupNames } from '../target/Ec2DeployTarget.ts';
import { fromTagList, TAG } from '../target/tags.ts';
import { CanaryTargetGroupsNotFoundError } from './errors.ts';

export type CanarySlot = 'baseline' | 'canary';

/** Target group ARNs of an environment's two slots. */
export type SlotTargetGroups = Readonly<Record<CanarySlot, string>>;

export type TargetGroupFinder = (environmentId: string) => Promise<SlotTargetGroups>;

/** ALB DescribeTags takes at most 20 ARNs per call. */
const DESCRIBE_TAGS_BATCH = 20;

/**
 * Finds an environment's target groups as Ec2DeployTarget does: ephemeral ones (`<service>.<env>.<run>`)
 * by their hashed names, lasting ones among the shared ALB's groups; the slot from the `vouch:slot`
 * tag (promote swaps the tags, so the names say nothing about the slot).
 */
export function elbTargetGroups(
  elb: ElasticLoadBalancingV2Client,
  options: { readonly loadBalancerArn: string },
): TargetGroupFinder {
  return async (environmentId) => {
    const ephemeral = environmentId.split('.').length > 2;
    const groups: TargetGroup[] = [];
    if (ephemeral) {
      const names = ephemeralTargetGroupNames(environmentId);
      try {
        const page = await elb.send(new DescribeTargetGroupsCommand({ Names: [names.a, names.b] }));
        groups.push(...(page.TargetGroups ?? []));
      } catch (error) {
        if (error instanceof TargetGroupNotFoundException)
          throw new CanaryTargetGroupsNotFoundError(environmentId, 'its target groups do not exist', {
            cause: error,
          });
        throw error;
      }
    } else {
      let Marker: string | undefined;
      do {
        const page = await elb.send(
          new DescribeTargetGroupsCommand({ LoadBalancerArn: options.loadBalancerArn, Marker }),
        );
        groups.push(...(page.TargetGroups ?? []));
        Marker = page.NextMarker;
      } while (Marker !== undefined);
    }
    const arns = groups.flatMap((g) => (g.TargetGroupArn === undefined ? [] : [g.TargetGroupArn]));
    const slots: Record<CanarySlot, string[]> = { baseline: [], canary: [] };
    for (let start = 0; start < arns.length; start += DESCRIBE_TAGS_BATCH) {
      const { TagDescriptions } = await elb.send(
        new DescribeTagsCommand({ ResourceArns: arns.slice(start, start + DESCRIBE_TAGS_BATCH) }),
      );
      for (const description of TagDescriptions ?? []) {
        const tags = fromTagList(description.Tags);
        const slot = tags[TAG.slot];
        if (tags[TAG.environmentId] !== environmentId || description.ResourceArn === undefined) continue;
        if (slot !== 'baseline' && slot !== 'canary') continue;
        slots[slot].push(description.ResourceArn);
      }
    }
    const { baseline, canary } = slots;
    if (baseline.length !== 1 || canary.length !== 1 || !baseline[0] || !canary[0]) {
      throw new CanaryTargetGroupsNotFoundError(
        environmentId,
        `expected one target group tagged ${TAG.slot}=baseline and one ${TAG.slot}=canary, found ${baseline.length} and ${canary.length}`,
      );
    }
    return { baseline: baseline[0], canary: canary[0] };
  };
}

/** The ALB metrics' `TargetGroup` dimension: `targetgroup/<name>/<id>`, the ARN's resource part. */
export function targetGroupDimension(arn: string): string {
  const at = arn.indexOf(':targetgroup/');
  if (at < 0) throw new CanaryTargetGroupsNotFoundError(arn, 'not a target group ARN');
  return arn.slice(at + 1);
}

/** The ALB metrics' `LoadBalancer` dimension: `app/<name>/<id>`. */
export function loadBalancerDimension(arn: string): string {
  const at = arn.indexOf(':loadbalancer/');
  if (at < 0) throw new CanaryTargetGroupsNotFoundError(arn, 'not a load balancer ARN');
  return arn.slice(at + ':loadbalancer/'.length);
}

export interface CloudWatchCanarySamplesOptions {
  readonly targetGroups: TargetGroupFinder;
  /** The shared ALB every environment's target groups are behind (EC2_TARGET_ENV.loadBalancerArn). */
  readonly loadBalancerArn: string;
}

export interface AsyncCanarySamples {
  samples(environmentId: string, fromMs: number, toMs: number, periodSeconds: number): Promise<CanarySeries>;
}

/** ALB metrics are standard resolution: one datapoint per 60 s, so a period is a whole number of minutes. */
export function albPeriodSeconds(periodSeconds: number): number {
  return Math.max(60, Math.ceil(periodSeconds / 60) * 60);
}

const SLOTS: readonly CanarySlot[] = ['baseline', 'canary'];

/**
 * The whole periods inside the window, so a datapoint holds no traffic of the step before; a window
 * shorter than one aligned period is widened to the periods that cover it.
 */
export function alignedRange(
  fromMs: number,
  toMs: number,
  periodSeconds: number,
): { start: Date; end: Date } {
  const p = periodSeconds * 1000;
  let start = Math.ceil(fromMs / p) * p;
  let end = Math.floor(toMs / p) * p;
  if (end <= start) {
    start = Math.floor(fromMs / p) * p;
    end = Math.max(Math.ceil(toMs / p) * p, start + p);
  }
  return { start: new Date(start), end: new Date(end) };
}

const PERCENTILES = ['p50', 'p90', 'p99'] as const;

/** How one slot's judged series are named in a CloudWatch namespace. */
export interface SlotMetrics {
  readonly namespace: string;
  /** Latency metric with percentile statistics, and the factor to milliseconds (ALB: seconds). */
  readonly latency: { readonly name: string; readonly toMs: number };
  /** Count metrics, Sum per period. */
  readonly requests: string;
  readonly errors: string;
}

/**
 * Both slots' per-period series in one GetMetricData call (paginated), joined by timestamp into the
 * judge's shape: the part every deploy target shares; what differs is the namespace and the
 * dimensions that pick a slot (an ALB target group, a Lambda alias's executed version).
 */
export async function readSlotSeries(
  cw: CloudWatchClient,
  request: {
    readonly metrics: SlotMetrics;
    readonly dimensions: Readonly<Record<CanarySlot, readonly { Name: string; Value: string }[]>>;
    readonly fromMs: number;
    readonly toMs: number;
    readonly periodSeconds: number;
  },
): Promise<CanarySeries> {
  const { metrics, dimensions } = request;
  const period = request.periodSeconds;
  const queries: MetricDataQuery[] = SLOTS.flatMap((slot) => {
    const metric = (id: string, name: string, stat: string): MetricDataQuery => ({
      Id: `${id}_${slot}`,
      MetricStat: {
        Metric: { Namespace: metrics.namespace, MetricName: name, Dimensions: [...dimensions[slot]] },
        Period: period,
        Stat: stat,
      },
      ReturnData: true,
    });
    return [
      ...PERCENTILES.map((p) => metric(`latency${p}`, metrics.latency.name, p)),
      metric('requests', metrics.requests, 'Sum'),
      metric('errors', metrics.errors, 'Sum'),
    ];
  });
  const { start, end } = alignedRange(request.fromMs, request.toMs, period);
  // Query id -> timestamp (ms) -> value.
  const values = new Map<string, Map<number, number>>();
  let NextToken: string | undefined;
  do {
    const page = await cw.send(
      new GetMetricDataCommand({
        MetricDataQueries: queries,
        StartTime: start,
        EndTime: end,
        ScanBy: 'TimestampAscending',
        NextToken,
      }),
    );
    // A page may hold part of a series; the next page continues it (GetMetricData pagination).
    for (const result of page.MetricDataResults ?? []) {
      if (result.Id === undefined) continue;
      const series = values.get(result.Id) ?? new Map<number, number>();
      (result.Timestamps ?? []).forEach((t, i) => {
        const v = result.Values?.[i];
        if (v !== undefined) series.set(new Date(t).getTime(), v);
      });
      values.set(result.Id, series);
    }
    NextToken = page.NextToken;
  } while (NextToken !== undefined);

  const side = (slot: CanarySlot): CanaryPeriod[] => {
    const at = (id: string, t: number) => values.get(`${id}_${slot}`)?.get(t);
    const periods: CanaryPeriod[] = [];
    for (const [t, requests] of [...(values.get(`requests_${slot}`) ?? [])].sort(([a], [b]) => a - b)) {
      const latency = PERCENTILES.map((p) => at(`latency${p}`, t));
      // A period without traffic is absent, as the judge expects; one with requests but no latency
      // datapoint cannot be compared either.
      if (requests <= 0 || latency.some((v) => v === undefined)) continue;
      const [p50, p90, p99] = latency as [number, number, number];
      const toMs = metrics.latency.toMs;
      periods.push({
        start: new Date(t).toISOString(),
        requests,
        // No error datapoint in a period means no error: ALB publishes count metrics only when non-zero.
        errors: at('errors', t) ?? 0,
        latencyMs: { p50: p50 * toMs, p90: p90 * toMs, p99: p99 * toMs },
      });
    }
    return periods;
  };
  return {
    baseline: side('baseline'),
    canary: side('canary'),
    source: { namespace: metrics.namespace, periodSeconds: period, dimensions },
  };
}

const ALB_METRICS: SlotMetrics = {
  namespace: 'AWS/ApplicationELB',
  latency: { name: 'TargetResponseTime', toMs: 1000 },
  requests: 'RequestCount',
  errors: 'HTTPCode_Target_5XX_Count',
};

export function cloudWatchCanarySamples(
  cw: CloudWatchClient,
  options: CloudWatchCanarySamplesOptions,
): AsyncCanarySamples {
  const loadBalancer = loadBalancerDimension(options.loadBalancerArn);
  return {
    async samples(environmentId, fromMs, toMs, periodSeconds) {
      const groups = await options.targetGroups(environmentId);
      const dimensionsOf = (slot: CanarySlot) => [
        { Name: 'TargetGroup', Value: targetGroupDimension(groups[slot]) },
        { Name: 'LoadBalancer', Value: loadBalancer },
      ];
      return readSlotSeries(cw, {
        metrics: ALB_METRICS,
        dimensions: { baseline: dimensionsOf('baseline'), canary: dimensionsOf('canary') },
        fromMs,
        toMs,
        periodSeconds: albPeriodSeconds(periodSeconds),
      });
    },
  };
}
