// The judge on labelled synthetic data: clear regressions fail, healthy canaries pass, thin evidence
// is inconclusive, and the verdict keeps the numbers it used.
import { describe, expect, it } from 'vitest';
import { decideCanaryStep } from '../../../lambdas/core/canary/decide.ts';
import { CanarySamplesError } from '../../../lambdas/core/canary/errors.ts';
import {
  type CanarySideSamples,
  checkStaticThresholds,
  judgeCanaryStep,
} from '../../../lambdas/core/canary/judge.ts';
import { parseCanarySpec } from '../../../lambdas/core/canary/spec.ts';
import { seededRandom as prng } from '../../../lambdas/core/shared/random.ts';

/** n requests: log-normal latency around `medianMs`, Bernoulli errors at `errorRate`. */
function traffic(seed: number, n: number, medianMs: number, errorRate: number): CanarySideSamples {
  const rand = prng(seed);
  const latencyMs: number[] = [];
  let failed = 0;
  for (let i = 0; i < n; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    latencyMs.push(medianMs * Math.exp(0.5 * z));
    if (rand() < errorRate) failed++;
  }
  return { latencyMs, errors: { requests: n, failed } };
}

const config = parseCanarySpec({});

describe('judgeCanaryStep', () => {
  it('fails a canary 50 % slower, on latency, keeping every number', () => {
    // Prepare
    const baseline = traffic(1, 4000, 100, 0.01);
    const canary = traffic(2, 1000, 150, 0.01);
    // Act
    const verdict = judgeCanaryStep({ baseline, canary, config });
    // Assess
    expect(verdict.outcome).toBe('FAIL');
    expect(verdict.decisive).toBe('latencyP50');
    const p50 = verdict.signals.find((s) => s.signal === 'latencyP50');
    expect(p50?.outcome).toBe('FAIL');
    expect(p50?.test).toBe('mann-whitney-u');
    expect(p50?.effect).toBeGreaterThan(0.3);
    expect(p50?.allowed).toBe(0.1);
    expect(p50?.p).toBeLessThan(1e-6);
    expect(p50?.U).toBeGreaterThan((1000 * 4000) / 2);
    expect(p50?.samples).toEqual({ baseline: 4000, canary: 1000, minimum: 100 });
    expect(p50?.canary.value).toBeGreaterThan(p50?.baseline.value ?? Number.POSITIVE_INFINITY);
    expect(verdict.signals.find((s) => s.signal === 'errorRate')?.outcome).toBe('PASS');
    expect(JSON.parse(JSON.stringify(verdict))).toEqual(verdict); // plain JSON: the state machine stores it
  });

  it('fails a canary whose error rate jumps from 1 % to 5 %', () => {
    const verdict = judgeCanaryStep({
      baseline: traffic(3, 4000, 100, 0.01),
      canary: traffic(4, 1000, 100, 0.05),
      config,
    });
    const errors = verdict.signals.find((s) => s.signal === 'errorRate');
    expect(verdict.outcome).toBe('FAIL');
    expect(errors?.outcome).toBe('FAIL');
    expect(errors?.test).toBe('two-proportion-z');
    expect(errors?.effect).toBeGreaterThan(0.03);
    expect(errors?.effectSize?.measure).toBe('cohensH');
  });

  it('passes healthy canaries (20 labelled pairs)', () => {
    for (let seed = 10; seed < 30; seed++) {
      const verdict = judgeCanaryStep({
        baseline: traffic(seed * 2, 4000, 80, 0.01),
        canary: traffic(seed * 2 + 1, 1000, 80, 0.01),
        config,
      });
      expect(verdict.outcome, `pair ${seed}`).toBe('PASS');
    }
  });

  it('passes a real change that stays within the allowed decay', () => {
    // 3 % slower against an allowed 10 % / 20 %, with plenty of samples to see it
    const verdict = judgeCanaryStep({
      baseline: traffic(5, 20000, 100, 0.01),
      canary: traffic(6, 20000, 103, 0.01),
      config,
    });
    expect(verdict.outcome).toBe('PASS');
  });

  it('is inconclusive with too few samples, and says which signal lacked them', () => {
    const verdict = judgeCanaryStep({
      baseline: traffic(7, 4000, 100, 0.01),
      canary: traffic(8, 50, 100, 0.01),
      config,
    });
    expect(verdict.outcome).toBe('INCONCLUSIVE');
    expect(verdict.signals.every((s) => s.outcome === 'INCONCLUSIVE')).toBe(true);
    expect(verdict.signals[0]?.p).toBeUndefined();
    expect(verdict.signals[0]?.reason).toMatch(/too few/);
  });

  it('still fails on clear evidence when another signal lacks samples', () => {
    const spec = parseCanarySpec({
      decay: { errorRate: { absolute: 0.005 }, saturation: { relative: 0.1 } },
    });
    const verdict = judgeCanaryStep({
      baseline: traffic(9, 4000, 100, 0.01),
      canary: traffic(10, 1000, 100, 0.08),
      config: spec,
    });
    expect(verdict.signals.find((s) => s.signal === 'saturation')?.outcome).toBe('INCONCLUSIVE');
    expect(verdict.outcome).toBe('FAIL');
  });

  it('splits alpha over the tests of a step (Bonferroni)', () => {
    const verdict = judgeCanaryStep({
      baseline: traffic(11, 1000, 100, 0.01),
      canary: traffic(12, 1000, 100, 0.01),
      config,
    });
    expect(verdict.tests).toBe(3);
    expect(verdict.signals[0]?.alpha).toBeCloseTo(config.alpha / 3, 12);
  });

  it('accepts errors as 0/1 flags per request', () => {
    const flags = (n: number, failed: number) => Array.from({ length: n }, (_, i) => (i < failed ? 1 : 0));
    const spec = parseCanarySpec({ decay: { errorRate: { absolute: 0.005 } } });
    const verdict = judgeCanaryStep({
      baseline: { errors: flags(2000, 20) },
      canary: { errors: flags(1000, 100) },
      config: spec,
    });
    expect(verdict.outcome).toBe('FAIL');
    expect(verdict.signals[0]?.canary.failed).toBe(100);
  });

  it('refuses samples it cannot use', () => {
    expect(() =>
      judgeCanaryStep({
        baseline: { errors: { requests: 10, failed: 11 } },
        canary: { errors: { requests: 10, failed: 0 } },
        config,
      }),
    ).toThrow(CanarySamplesError);
    expect(() => judgeCanaryStep({ baseline: { latencyMs: [1, Number.NaN] }, canary: {}, config })).toThrow(
      CanarySamplesError,
    );
  });
});

describe('checkStaticThresholds', () => {
  it('fails on the point estimate alone, noise included', () => {
    // Prepare: tiny samples where the canary is by chance > 10 % slower at the median
    const verdict = checkStaticThresholds({
      baseline: { latencyMs: [100, 100, 100] },
      canary: { latencyMs: [115, 115, 115] },
      config: parseCanarySpec({ decay: { latencyP50: { relative: 0.1 } } }),
    });
    expect(verdict.outcome).toBe('FAIL');
    expect(verdict.signals[0]?.effect).toBeCloseTo(0.15, 10);
  });
});

describe('decideCanaryStep', () => {
  const spec = parseCanarySpec({});
  it('advances on PASS and rolls back on FAIL', () => {
    expect(decideCanaryStep({ outcome: 'PASS' }, 0, spec).action).toBe('advance');
    expect(decideCanaryStep({ outcome: 'FAIL' }, 0, spec).action).toBe('rollback');
  });
  it('extends an inconclusive step once, then fails (the default)', () => {
    expect(decideCanaryStep({ outcome: 'INCONCLUSIVE' }, 0, spec).action).toBe('extend');
    expect(decideCanaryStep({ outcome: 'INCONCLUSIVE' }, 1, spec).action).toBe('rollback');
  });
  it('pauses for a person or fails at once when configured', () => {
    expect(
      decideCanaryStep({ outcome: 'INCONCLUSIVE' }, 0, parseCanarySpec({ onInconclusive: 'pause' })).action,
    ).toBe('pause');
    expect(
      decideCanaryStep({ outcome: 'INCONCLUSIVE' }, 0, parseCanarySpec({ onInconclusive: 'fail' })).action,
    ).toBe('rollback');
  });
});
