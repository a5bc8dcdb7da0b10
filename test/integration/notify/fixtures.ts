import { type Notification, parseNotification } from '../../../lambdas/core/notify/notification.ts';

const t0 = Date.parse('2026-11-21T12:00:00Z');
const at = (minutes: number) => new Date(t0 + minutes * 60_000).toISOString();

/** A rolled-back canary step: latencyP99 +42 % against an allowed +20 %. */
export function rolledBackNotification(overrides: Partial<Notification> = {}): Notification {
  return parseNotification({
    id: 'exec-42#judge#5',
    service: 'orders',
    team: 'payments',
    version: 3,
    commit: '3f2a9c1d0b7e4f5a6b7c8d9e0f1a2b3c4d5e6f7a',
    environment: 'prod',
    step: 5,
    event: 'ROLLED_BACK',
    verdict: {
      outcome: 'FAIL',
      decisive: 'latencyP99',
      signals: [
        {
          signal: 'latencyP99',
          outcome: 'FAIL',
          observed: 312.5,
          baseline: 220.1,
          effect: 0.42,
          allowed: 0.2,
          unit: 'relative',
          valueUnit: 'ms',
          test: 'paired-t-log-ratio',
          p: 1.2e-9,
          detectable: 0.12,
          periods: 5,
          periodSeconds: 60,
          samples: { baseline: 4000, canary: 1000 },
        },
        {
          signal: 'errorRate',
          outcome: 'PASS',
          observed: 0.011,
          baseline: 0.01,
          effect: 0.001,
          allowed: 0.005,
          unit: 'absolute',
          valueUnit: 'ratio',
          p: 0.41,
          samples: { baseline: 4000, canary: 1000 },
        },
      ],
    },
    window: { start: at(10), end: at(15) },
    chart: {
      title: 'orders p99 latency in prod at 5 % canary: FAIL (latencyP99)',
      unit: 'ms',
      axisLabel: 'p99 latency per 60 s period (ms)',
      threshold: 264.1,
      series: [
        {
          label: 'canary v3',
          points: Array.from({ length: 20 }, (_, i) => ({ t: at(i), v: i >= 10 ? 312 : 221 })),
        },
        { label: 'baseline', points: Array.from({ length: 20 }, (_, i) => ({ t: at(i), v: 220 })) },
      ],
    },
    ...overrides,
  });
}
