/** Turns a canary judge verdict into the signals part of a notification, keeping its numbers. */
import type { CanaryVerdict } from '../canary/judge.ts';
import type { MetricSeries, Notification, NotificationSignal } from './notification.ts';

const finite = (x: number | undefined): number | null => (x === undefined || !Number.isFinite(x) ? null : x);

export function notificationVerdictFromCanary(verdict: CanaryVerdict): Notification['verdict'] {
  const signals: NotificationSignal[] = verdict.signals.map((s) => ({
    signal: s.signal,
    outcome: s.outcome,
    observed: finite(s.canary.value),
    baseline: finite(s.baseline.value),
    effect: finite(s.effect),
    allowed: s.allowed,
    unit: s.unit,
    ...(s.p === undefined ? {} : { p: s.p }),
    samples: { baseline: s.samples.baseline, canary: s.samples.canary },
    reason: s.reason,
  }));
  return {
    outcome: verdict.outcome,
    signals,
    ...(verdict.decisive === undefined ? {} : { decisive: verdict.decisive }),
  };
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
  /** The decisive signal's metric around the window (local metric store), for the chart. */
  readonly series?: MetricSeries[];
  /** Where CloudWatch finds the same metric (AWS chart). */
  readonly cloudwatch?: NonNullable<Notification['chart']>['cloudwatch'];
  readonly links?: Notification['links'];
}

/** The notification of one judged canary step; its chart threshold is the baseline plus the allowed decay. */
export function canaryNotification(input: CanaryNotificationInput): Notification {
  const verdict = notificationVerdictFromCanary(input.verdict);
  const decisive =
    input.verdict.signals.find((s) => s.signal === input.verdict.decisive) ?? input.verdict.signals[0];
  const threshold =
    decisive === undefined
      ? undefined
      : decisive.unit === 'relative'
        ? decisive.baseline.value * (1 + decisive.allowed)
        : decisive.baseline.value + decisive.allowed;
  const chart =
    decisive === undefined || (input.series === undefined && input.cloudwatch === undefined)
      ? undefined
      : {
          title: `${input.service} ${decisive.signal} (${input.environment})`,
          unit: decisive.unit === 'absolute' ? 'ratio' : decisive.signal.startsWith('latency') ? 'ms' : '',
          series: input.series ?? [],
          ...(threshold === undefined || !Number.isFinite(threshold) ? {} : { threshold }),
          ...(input.cloudwatch === undefined ? {} : { cloudwatch: input.cloudwatch }),
        };
  return {
    id: `${input.execution}#${input.environment}#${input.step}#${input.event}`,
    service: input.service,
    team: input.team,
    version: input.version,
    commit: input.commit,
    environment: input.environment,
    step: input.step,
    event: input.event,
    verdict,
    window: input.window,
    ...(chart === undefined ? {} : { chart }),
    links: input.links ?? [],
  };
}
