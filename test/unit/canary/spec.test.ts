import { describe, expect, it } from 'vitest';
import { CanarySpecError } from '../../../lambdas/core/canary/errors.ts';
import { parseCanarySpec } from '../../../lambdas/core/canary/spec.ts';

describe('canary spec', () => {
  it('defaults to steps 1, 5, 10, 25, 50, 100, extend-once, and the documented decay', () => {
    const spec = parseCanarySpec(undefined);
    expect(spec.steps.map((s) => s.traffic)).toEqual([1, 5, 10, 25, 50, 100]);
    expect(spec.onInconclusive).toBe('extend');
    expect(spec.maxExtensions).toBe(1);
    expect(spec.alpha).toBe(0.05);
    expect(spec.periodSeconds).toBe(60);
    expect(spec.maxDetectableRatio).toBe(2);
    expect(spec.minPeriods).toBe(3);
    expect(spec.decay).toEqual({
      errorRate: { absolute: 0.005, weight: 0.025 },
      latencyP50: { relative: 0.1, weight: 0.95 },
      latencyP90: { relative: 0.2, weight: 0.025 },
    });
  });

  it('takes a weight per signal (its share of alpha), all or none', () => {
    const spec = parseCanarySpec({
      decay: { errorRate: { absolute: 0.01, weight: 1 }, latencyP50: { relative: 0.1, weight: 3 } },
    });
    expect(spec.decay.latencyP50).toEqual({ relative: 0.1, weight: 3 });
    expect(parseCanarySpec({ decay: { latencyP99: { relative: 0.3 } } }).decay).toEqual({
      latencyP99: { relative: 0.3 },
    });
    expect(() =>
      parseCanarySpec({ decay: { errorRate: { absolute: 0.01 }, latencyP50: { relative: 0.1, weight: 3 } } }),
    ).toThrow(
      /canary\.decay\.errorRate\.weight: give every judged signal a weight, or none .*errorRate has none/,
    );
    expect(() => parseCanarySpec({ decay: { latencyP50: { relative: 0.1, weight: 0 } } })).toThrow(
      /canary\.decay\.latencyP50/,
    );
    expect(() => parseCanarySpec({ decay: { latencyP50: { relative: 0.1, weight: -1 } } })).toThrow(
      CanarySpecError,
    );
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

  it('refuses the replaced minSamples and minEffectSize keys, saying what replaced them', () => {
    expect(() => parseCanarySpec({ minSamples: 25 })).toThrow(
      /canary\.minSamples: minSamples was replaced: the judge now decides INCONCLUSIVE by how tightly/,
    );
    expect(() => parseCanarySpec({ minEffectSize: 0.03 })).toThrow(
      /canary\.minEffectSize: minEffectSize was replaced/,
    );
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
    [{ periodSeconds: 0 }, /periodSeconds/],
    [{ maxDetectableRatio: 1 }, /maxDetectableRatio/],
    [{ minPeriods: 1 }, /minPeriods/],
    [{ decay: { saturation: { relative: 0.1 } } }, /decay/],
    [{ judge: 'kayenta' }, /Unrecognized key/],
  ])('refuses %j', (raw, message) => {
    expect(() => parseCanarySpec(raw)).toThrow(CanarySpecError);
    expect(() => parseCanarySpec(raw)).toThrow(message);
  });
});
