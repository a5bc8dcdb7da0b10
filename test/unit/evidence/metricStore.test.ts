import { describe, expect, it } from 'vitest';
import {
  LocalMetricStore,
  type LocalMetricStore as Store,
} from '../../../lambdas/adapters/local/metrics/metricStore.ts';
import { alarmDefinitions } from '../../../lambdas/core/evidence/alarms.ts';
import { ManualClock } from '../../../lambdas/core/evidence/clock.ts';
import { METRIC } from '../../../lambdas/core/evidence/metrics.ts';
import { AlarmsSpecSchema } from '../../../lambdas/core/evidence/spec.ts';

const dims = { service: 'orders', environment: 'test', scenario: 'browse', version: '7' };

function request(store: Store, clock: ManualClock, ok: boolean, latencyMs = 20): void {
  const timestamp = clock.now();
  store.putNow([
    { name: METRIC.requests, dimensions: dims, value: 1, timestamp },
    { name: METRIC.failures, dimensions: dims, value: ok ? 0 : 1, timestamp },
    { name: METRIC.latency, dimensions: dims, value: latencyMs, timestamp },
  ]);
}

function setup() {
  const clock = new ManualClock(1_000_000 * 60_000);
  const store = new LocalMetricStore({ clock });
  const spec = AlarmsSpecSchema.parse({
    errorRate: { thresholdPercent: 5, evaluationPeriods: 3, datapointsToAlarm: 2 },
    latency: { thresholdMs: 500, percentile: 'p90' },
    traffic: { minRequests: 1 },
  });
  store.defineAlarms(alarmDefinitions(spec, 'orders', 'test'));
  const changes: Array<{ alarm: string; state: string; at: number }> = [];
  store.onAlarmStateChange((c) => {
    changes.push({ alarm: c.alarmName, state: c.state, at: c.at });
  });
  return { clock, store, changes };
}

describe('LocalMetricStore', () => {
  it('raises the error-rate alarm the moment the second breaching period gets a failing request', () => {
    // Prepare: healthy traffic for three periods.
    const { clock, store, changes } = setup();
    store.start();
    for (let i = 0; i < 18; i++) {
      request(store, clock, true);
      clock.advance(10_000);
    }
    expect(store.alarmState('vouch.orders.test.errorRate')).toBe('OK');
    // Act: failures in two consecutive periods (M = 2).
    const firstFailure = clock.now();
    request(store, clock, false);
    expect(store.alarmState('vouch.orders.test.errorRate')).toBe('OK');
    clock.advance(60_000);
    request(store, clock, false);
    // Assess: ALARM at once, on the put, with no timer in between.
    const alarm = changes.find((c) => c.alarm === 'vouch.orders.test.errorRate' && c.state === 'ALARM');
    expect(alarm?.at).toBe(clock.now());
    expect((alarm?.at ?? 0) - firstFailure).toBe(60_000);
    store.stop();
  });

  it('takes the traffic floor to ALARM through period timers when the bots stop, and back to OK', () => {
    // Prepare
    const { clock, store, changes } = setup();
    store.start();
    for (let i = 0; i < 12; i++) {
      request(store, clock, true);
      clock.advance(10_000);
    }
    clock.advance(1);
    expect(store.alarmState('vouch.orders.test.traffic')).toBe('OK');
    // Act: no requests for four periods (3 of 3 treated as breaching).
    clock.advance(4 * 60_000);
    // Assess
    expect(store.alarmState('vouch.orders.test.traffic')).toBe('ALARM');
    request(store, clock, true);
    clock.advance(60_000);
    expect(store.alarmState('vouch.orders.test.traffic')).toBe('OK');
    // The first ALARM is the first put: the periods before any traffic are missing, treated as breaching.
    expect(changes.filter((c) => c.alarm.endsWith('traffic')).map((c) => c.state)).toEqual([
      'ALARM',
      'OK',
      'ALARM',
      'OK',
    ]);
    store.stop();
    expect(clock.pendingTimers).toBe(0);
  });

  it('evaluates the latency percentile over raw samples of the period', () => {
    // Prepare
    const { clock, store } = setup();
    // Act: 10 requests per period, 2 of them slow: p90 is a slow one, in two periods.
    for (let period = 0; period < 2; period++) {
      for (let i = 0; i < 10; i++) request(store, clock, true, i < 2 ? 900 : 20);
      clock.advance(60_000);
    }
    // Assess
    expect(store.alarmState('vouch.orders.test.latency')).toBe('ALARM');
  });

  it('reads the evidence of a window: transitions inside it and bot samples', async () => {
    // Prepare
    const { clock, store } = setup();
    const start = clock.now();
    for (let i = 0; i < 5; i++) {
      request(store, clock, false);
      clock.advance(30_000);
    }
    // Act
    const evidence = await store.readEvidence({
      service: 'orders',
      environment: 'test',
      start,
      end: clock.now(),
    });
    // Assess
    expect(evidence.botSamples).toBe(5);
    const errorRate = evidence.alarms.find((a) => a.signal === 'errorRate');
    expect(errorRate?.transitions.map((t) => t.to)).toContain('ALARM');
    expect(errorRate?.datapoints.some((d) => d.value === 100)).toBe(true);
    const other = await store.readEvidence({
      service: 'orders',
      environment: 'prod',
      start,
      end: clock.now(),
    });
    expect(other).toEqual({ alarms: [], botSamples: 0 });
  });
});
