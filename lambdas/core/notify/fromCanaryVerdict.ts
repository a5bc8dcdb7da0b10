/** Turns a canary judge verdict into the signals part of a notification, keeping its numbers. */
import type { CanaryVerdict } from '../canary/judge.ts';
import type { Notification, NotificationSignal } from './notification.ts';

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
