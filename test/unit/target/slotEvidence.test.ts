import { describe, expect, it } from 'vitest';
import type { SlotRequest } from '../../../lambdas/core/target/port.ts';
import { SlotSampleRecorder, slotRequestMetricSamples } from '../../../lambdas/core/target/slotEvidence.ts';

const base: SlotRequest = {
  service: 'orders',
  environment: 'prod',
  environmentId: 'orders.prod',
  slot: 'baseline',
  version: '1',
  image: 'a'.repeat(64),
  method: 'GET',
  path: '/orders',
  status: 200,
  latencyMs: 12,
  at: 1_000,
};

describe('slotRequestMetricSamples', () => {
  it('yields requests, failures and latency with slot and version dimensions', () => {
    // Act
    const samples = slotRequestMetricSamples({
      ...base,
      slot: 'canary',
      version: '2',
      status: 503,
      latencyMs: 40,
    });
    // Assess
    expect(samples.map((s) => [s.name, s.value])).toEqual([
      ['requests', 1],
      ['failures', 1],
      ['latency', 40],
    ]);
    expect(samples[0]?.dimensions).toEqual({
      service: 'orders',
      environment: 'prod',
      slot: 'canary',
      version: '2',
    });
  });

  it('does not count a 4xx as a failure of the release', () => {
    expect(slotRequestMetricSamples({ ...base, status: 404 })[1]?.value).toBe(0);
  });
});

describe('SlotSampleRecorder', () => {
  it('gives each slot’s per-period series (CloudWatch’s shape) inside the window only, per environment', () => {
    // Prepare: 10 s periods; the window [10 s, 30 s) holds two of them.
    const recorder = new SlotSampleRecorder();
    recorder.observe({ ...base, at: 9_000, latencyMs: 999 }); // before the window
    for (const [i, latencyMs] of [10, 20, 30, 40, 50, 60, 70, 80, 90, 100].entries()) {
      recorder.observe({ ...base, at: 10_000 + i * 100, latencyMs, status: i === 0 ? 500 : 200 });
    }
    recorder.observe({ ...base, at: 25_000, latencyMs: 5 });
    recorder.observe({ ...base, slot: 'canary', at: 12_000, latencyMs: 30 });
    recorder.observe({ ...base, environmentId: 'orders.qa', at: 12_000, latencyMs: 77 });
    recorder.observe({ ...base, at: 30_000, latencyMs: 888 }); // window end is exclusive
    // Act
    const series = recorder.samples('orders.prod', 10_000, 30_000, 10);
    // Assess: percentiles as numpy's default (type 7) computes them.
    expect(series.baseline).toEqual([
      {
        start: '1970-01-01T00:00:10.000Z',
        requests: 10,
        errors: 1,
        latencyMs: { p50: 55, p90: 91, p99: 99.1 },
      },
      { start: '1970-01-01T00:00:20.000Z', requests: 1, errors: 0, latencyMs: { p50: 5, p90: 5, p99: 5 } },
    ]);
    expect(series.canary).toEqual([
      { start: '1970-01-01T00:00:10.000Z', requests: 1, errors: 0, latencyMs: { p50: 30, p90: 30, p99: 30 } },
    ]);
  });

  it('forgets samples older than its retention', () => {
    const recorder = new SlotSampleRecorder({ retainMs: 100 });
    recorder.observe({ ...base, at: 0 });
    recorder.observe({ ...base, at: 1_000 });
    expect(recorder.samples('orders.prod', 0, 2_000, 60).baseline.map((p) => p.requests)).toEqual([1]);
  });
});

describe('SlotSampleRecorder on a faster platform clock', () => {
  it('cuts periods of clock seconds, stamped with clock times', () => {
    // Prepare: the platform clock runs 20x from clock time 0 at wall time 1,000 ms.
    const recorder = new SlotSampleRecorder({ clockOf: (wall) => (wall - 1_000) * 20 });
    for (const wall of [1_000, 1_200, 1_499, 1_500, 1_900])
      recorder.observe({ ...base, at: wall, latencyMs: 5 });
    // Act: 10 clock seconds are 0.5 wall seconds.
    const series = recorder.samples('orders.prod', 1_000, 2_000, 10);
    // Assess
    expect(series.baseline.map((p) => [p.start, p.requests])).toEqual([
      ['1970-01-01T00:00:00.000Z', 3],
      ['1970-01-01T00:00:10.000Z', 2],
    ]);
  });
});
