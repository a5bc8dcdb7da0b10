import { describe, expect, it } from 'vitest';
import { CanarySpecError } from '../../../lambdas/core/canary/errors.ts';
import { DEFAULT_MIN_SAMPLES, parseCanarySpec } from '../../../lambdas/core/canary/spec.ts';

describe('canary spec', () => {
  it('defaults to steps 1, 5, 10, 25, 50, 100, extend-once, and the documented decay', () => {
    const spec = parseCanarySpec(undefined);
    expect(spec.steps.map((s) => s.traffic)).toEqual([1, 5, 10, 25, 50, 100]);
    expect(spec.onInconclusive).toBe('extend');
    expect(spec.maxExtensions).toBe(1);
    expect(spec.alpha).toBe(0.05);
    expect(spec.minEffectSize).toBe(0.03);
    expect(spec.decay).toEqual({
      errorRate: { absolute: 0.005 },
      latencyP50: { relative: 0.1 },
      latencyP99: { relative: 0.2 },
    });
    expect(spec.minSamples).toEqual(DEFAULT_MIN_SAMPLES);
  });

  it('applies per-step window overrides over the spec-wide window', () => {
    const spec = parseCanarySpec({
      steps: [10, { traffic: 50, windowSeconds: 900 }, 100],
      windowSeconds: 120,
    });
    expect(spec.steps).toEqual([
      { traffic: 10, windowSeconds: 120 },
      { traffic: 50, windowSeconds: 900 },
      { traffic: 100, windowSeconds: 120 },
    ]);
  });

  it('takes one minimum sample count for all signals, or per signal', () => {
    expect(parseCanarySpec({ minSamples: 50 }).minSamples.latencyP99).toBe(50);
    const spec = parseCanarySpec({ minSamples: { errorRate: 2000 } });
    expect(spec.minSamples.errorRate).toBe(2000);
    expect(spec.minSamples.latencyP99).toBe(DEFAULT_MIN_SAMPLES.latencyP99);
  });

  it.each([
    [{ steps: [5, 1, 100] }, /strictly increasing/],
    [{ steps: [1, 50] }, /last step must be 100/],
    [{ steps: [0, 100] }, /traffic %/],
    [{ decay: { errorRate: { relative: 0.1 } } }, /errorRate is absolute/],
    [{ decay: { latencyP99: { absolute: 5 } } }, /canary\.decay\.latencyP99/],
    [{ decay: {} }, /at least one signal/],
    [{ decay: { throughput: { relative: 0.1 } } }, /decay/],
    [{ onInconclusive: 'ignore' }, /onInconclusive/],
    [{ alpha: 0.7 }, /alpha/],
    [{ judge: 'kayenta' }, /Unrecognized key/],
  ])('refuses %j', (raw, message) => {
    expect(() => parseCanarySpec(raw)).toThrow(CanarySpecError);
    expect(() => parseCanarySpec(raw)).toThrow(message);
  });
});
