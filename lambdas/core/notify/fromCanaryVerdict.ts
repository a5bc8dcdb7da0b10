/** Turns a canary judge verdict into the signals and the chart of a notification, keeping its numbers. */
import type { CanaryVerdict, SignalVerdict } from '../canary/judge.ts';
import type { Notification, NotificationChart, NotificationSignal } from './notification.ts';

const finite = (x: number | undefined): number | null => (x === undefined || !Number.isFinite(x) ? null : x);

function signalOf(s: SignalVerdict, periodSeconds: number): NotificationSignal {
  return {
    signal: s.signal,
    outcome: s.outcome,
    observed: finite(s.canary.value),
    baseline: finite(s.baseline.value),
    effect: finite(s.effect),
    allowed: s.allowed,
    unit: s.unit,
    valueUnit: s.valueUnit,
    test: s.test,
    ...(s.p === undefined ? {} : { p: s.p }),
    ...(s.detectable === undefined || !Number.isFinite(s.detectable) ? {} : { detectable: s.detectable }),
    periods: s.periods,
    periodSeconds,
    samples: { baseline: s.baseline.requests, canary: s.canary.requests },
    reason: s.reason,
  };
}

export function notificationVerdictFromCanary(verdict: CanaryVerdict): Notification['verdict'] {
  return {
    outcome: verdict.outcome,
    signals: verdict.signals.map((s) => signalOf(s, verdict.periodSeconds)),
    ...(verdict.decisive === undefined ? {} : { decisive: verdict.decisive }),
  };
}

export interface CanaryChartContext {
  readonly service: string;
  readonly environment: string;
  readonly step?: number;
  /** Version labels for the legend, e.g. { baseline: 'v2', canary: 'v3' }. */
  readonly versions?: { readonly baseline?: string; readonly canary?: string };
  readonly region?: string;
}

/**
 * The chart of a verdict: both slots' per-period series of the decisive signal, with the allowed value
 * (the baseline's plus the decay) as a line; latency in ms, error rate in %. On AWS, also the
 * CloudWatch metrics the series came from, one per slot, for GetMetricWidgetImage.
 */
export function chartFromCanaryVerdict(
  verdict: CanaryVerdict,
  context: CanaryChartContext,
): NotificationChart | undefined {
  const series = verdict.series;
  const decisive = verdict.signals.find((s) => s.signal === verdict.decisive);
  if (series === undefined || decisive === undefined) return undefined;
  const isRate = series.unit === 'ratio';
  const scale = isRate ? 100 : 1; // error rate shown in %
  const unit = isRate ? '%' : 'ms';
  const what = isRate ? 'error rate' : `${decisive.statistic} latency`;
  const threshold = isRate
    ? (decisive.baseline.value + decisive.allowed) * 100
    : decisive.baseline.value * (1 + decisive.allowed);
  const label = (slot: 'baseline' | 'canary') => {
    const version = context.versions?.[slot];
    return `${slot}${version ? ` ${version}` : ''}`;
  };
  const step = context.step === undefined ? '' : ` at ${context.step} % canary`;
  return {
    title: `${context.service} ${what} in ${context.environment}${step}: ${verdict.outcome} (${decisive.signal})`,
    unit,
    axisLabel: `${what} per ${verdict.periodSeconds} s period (${unit})`,
    series: (['baseline', 'canary'] as const).map((slot) => ({
      label: label(slot),
      points: series[slot].map((p) => ({ t: p.t, v: p.v * scale })),
    })),
    ...(Number.isFinite(threshold) ? { threshold } : {}),
    ...(series.source === undefined
      ? {}
      : { cloudwatch: cloudWatchMetricsOf(series.source, decisive, label, context.region) }),
  };
}

/**
 * GetMetricWidgetImage `metrics` for both slots: the raw metrics hidden, a metric-math line per slot
 * in the chart's unit (TargetResponseTime is in seconds: x1000 for ms; error rate 100 x 5XX / requests).
 */
function cloudWatchMetricsOf(
  source: NonNullable<NonNullable<CanaryVerdict['series']>['source']>,
  signal: SignalVerdict,
  label: (slot: 'baseline' | 'canary') => string,
  region: string | undefined,
): NonNullable<NotificationChart['cloudwatch']> {
  const metrics: (string | Record<string, unknown>)[][] = [];
  for (const slot of ['baseline', 'canary'] as const) {
    const dims = source.dimensions[slot].flatMap((d) => [d.Name, d.Value]);
    if (signal.valueUnit === 'ms') {
      metrics.push([
        source.namespace,
        'TargetResponseTime',
        ...dims,
        { id: `${slot}_s`, stat: signal.statistic, visible: false },
      ]);
      metrics.push([
        {
          expression: `${slot}_s * 1000`,
          id: `${slot}_ms`,
          label: `${label(slot)} ${signal.statistic} (ms)`,
        },
      ]);
    } else {
      metrics.push([
        source.namespace,
        'HTTPCode_Target_5XX_Count',
        ...dims,
        { id: `${slot}_e`, stat: 'Sum', visible: false },
      ]);
      metrics.push([
        source.namespace,
        'RequestCount',
        ...dims,
        { id: `${slot}_r`, stat: 'Sum', visible: false },
      ]);
      metrics.push([
        {
          expression: `100 * FILL(${slot}_e, 0) / ${slot}_r`,
          id: `${slot}_pct`,
          label: `${label(slot)} error rate (%)`,
        },
      ]);
    }
  }
  return { metrics, period: source.periodSeconds, ...(region ? { region } : {}) };
}

export interface CanaryNotificationInput {
  readonly service: string;
  readonly team: string;
  readonly commit: string;
  /** Step Functions execution name: with environment, step and event it makes the idempotency key. */
  readonly execution: string;
  readonly version: number;
  readonly environment: string;
  readonly step: number;
  /** e.g. ROLLED_BACK, PROMOTED, PAUSED. */
  readonly event: string;
  readonly verdict: CanaryVerdict;
  readonly window: { readonly start: string; readonly end: string };
  readonly links?: Notification['links'];
}

/** The notification of one judged canary step, with the chart of its decisive signal. */
export function canaryNotification(input: CanaryNotificationInput): Notification {
  const chart = chartFromCanaryVerdict(input.verdict, {
    service: input.service,
    environment: input.environment,
    step: input.step,
    versions: { canary: `v${input.version}` },
  });
  return {
    id: `${input.execution}#${input.environment}#${input.step}#${input.event}`,
    service: input.service,
    team: input.team,
    version: input.version,
    commit: input.commit,
    environment: input.environment,
    step: input.step,
    event: input.event,
    verdict: notificationVerdictFromCanary(input.verdict),
    window: input.window,
    ...(chart === undefined ? {} : { chart }),
    links: input.links ?? [],
  };
}
