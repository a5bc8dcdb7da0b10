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
  it('returns each slot’s samples inside the window only, per environment', () => {
    // Prepare
    const recorder = new SlotSampleRecorder();
    recorder.observe({ ...base, at: 500, latencyMs: 999 }); // before the window
    recorder.observe({ ...base, at: 1_000, latencyMs: 10 });
    recorder.observe({ ...base, at: 1_500, latencyMs: 20, status: 500 });
    recorder.observe({ ...base, slot: 'canary', at: 1_600, latencyMs: 30 });
    recorder.observe({ ...base, environmentId: 'orders.qa', at: 1_700, latencyMs: 77 });
    recorder.observe({ ...base, at: 2_000, latencyMs: 888 }); // window end is exclusive
    // Act
    const samples = recorder.samples('orders.prod', 1_000, 2_000);
    // Assess
    expect(samples.baseline).toEqual({ latencyMs: [10, 20], errors: { requests: 2, failed: 1 } });
    expect(samples.canary).toEqual({ latencyMs: [30], errors: { requests: 1, failed: 0 } });
  });

  it('forgets samples older than its retention', () => {
    const recorder = new SlotSampleRecorder({ retainMs: 100 });
    recorder.observe({ ...base, at: 0 });
    recorder.observe({ ...base, at: 1_000 });
    expect(recorder.samples('orders.prod', 0, 2_000).baseline.errors).toEqual({ requests: 1, failed: 0 });
  });
});
