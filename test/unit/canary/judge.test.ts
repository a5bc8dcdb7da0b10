// The judge on CloudWatch-shaped series: healthy canaries pass, regressions fail, thin data is
// INCONCLUSIVE with the window it would need, bad input is refused, and every number stays finite.
import { describe, expect, it } from 'vitest';
import { decideCanaryStep } from '../../../lambdas/core/canary/decide.ts';
import { CanarySamplesError } from '../../../lambdas/core/canary/errors.ts';
import { judgeCanaryStep } from '../../../lambdas/core/canary/judge.ts';
import type { CanaryPeriod } from '../../../lambdas/core/canary/periods.ts';
import { parseCanarySpec } from '../../../lambdas/core/canary/spec.ts';
import { seededRandom } from '../../../lambdas/core/shared/random.ts';
import { type SimService, simulateStep } from '../../../scripts/bench/canary.ts';

const config = parseCanarySpec({});
/** A healthy web service: log-normal latency around 80 ms (sigma 0.45), 0.2 % errors. */
const service: SimService = { medianMs: 80, sigma: 0.45, spikeShare: 0, errorRate: 0.002 };

const period = (
  minute: number,
  requests: number,
  errors: number,
  p50: number,
  p90 = p50 * 2,
  p99 = p50 * 4,
): CanaryPeriod => ({
  start: new Date(Date.UTC(2026, 0, 1, 12, minute)).toISOString(),
  requests,
  errors,
  latencyMs: { p50, p90, p99 },
});

describe('judgeCanaryStep with the defaults', () => {
  it('passes a healthy 20 rps service at a 20 % canary over 10 minutes (not INCONCLUSIVE)', () => {
    // Prepare: ten independent windows of the same healthy service.
    const outcomes = Array.from({ length: 10 }, (_, seed) => {
      const series = simulateStep(seededRandom(100 + seed), service, {
        rps: 20,
        weight: 0.2,
        windowMinutes: 10,
      });
      // Act
      return judgeCanaryStep({ ...series, config }).outcome;
    });
    // Assess
    expect(outcomes).toEqual(Array(10).fill('PASS'));
  });

  it('with 0.3 % slow spikes, passes p50 and errors at 20 rps; p99 may need the extension', () => {
    const spiky = { ...service, spikeShare: 0.003 };
    const verdicts = Array.from({ length: 10 }, (_, seed) =>
      judgeCanaryStep({
        ...simulateStep(seededRandom(100 + seed), spiky, { rps: 20, weight: 0.2, windowMinutes: 10 }),
        config,
      }),
    );
    const outcome = (signal: string) =>
      verdicts.map((v) => v.signals.find((s) => s.signal === signal)?.outcome);
    expect(outcome('latencyP50')).toEqual(Array(10).fill('PASS'));
    expect(outcome('errorRate')).toEqual(Array(10).fill('PASS'));
    expect(outcome('latencyP99')).not.toContain('FAIL');
    // A 20-minute window (the one extension) is enough for p99 too.
    const extended = Array.from(
      { length: 10 },
      (_, seed) =>
        judgeCanaryStep({
          ...simulateStep(seededRandom(100 + seed), spiky, { rps: 20, weight: 0.2, windowMinutes: 20 }),
          config,
        }).outcome,
    );
    expect(extended).toEqual(Array(10).fill('PASS'));
  });

  it('fails a +60 % p50 regression at 20 rps on latencyP50, with the numbers and both series', () => {
    const series = simulateStep(seededRandom(7), service, {
      rps: 20,
      weight: 0.2,
      windowMinutes: 10,
      latencyFactor: 1.6,
    });

    const verdict = judgeCanaryStep({ ...series, config });

    expect(verdict.outcome).toBe('FAIL');
    expect(verdict.decisive).toBe('latencyP50');
    const p50 = verdict.signals.find((s) => s.signal === 'latencyP50');
    expect(p50?.test).toBe('paired-t-log-ratio');
    expect(p50?.p).toBeLessThan(p50?.level as number);
    expect(p50?.effect).toBeGreaterThan(0.4);
    expect(p50?.effect).toBeLessThan(0.8);
    expect(p50?.periods).toBe(10);
    expect(p50?.detectable).toBeLessThan(0.2);
    expect(p50?.reason).toMatch(/canary p50 [0-9.]+ ms vs baseline [0-9.]+ ms/);
    expect(verdict.series?.signal).toBe('latencyP50');
    expect(verdict.series?.baseline).toHaveLength(10);
    expect(verdict.series?.canary).toHaveLength(10);
    expect(decideCanaryStep(verdict, 0, config).action).toBe('rollback');
  });

  it('at 1 rps says INCONCLUSIVE and how long a window would do', () => {
    const series = simulateStep(seededRandom(3), service, { rps: 1, weight: 0.2, windowMinutes: 10 });

    const verdict = judgeCanaryStep({ ...series, config });

    expect(verdict.outcome).toBe('INCONCLUSIVE');
    const p50 = verdict.signals.find((s) => s.signal === 'latencyP50');
    expect(p50?.outcome).toBe('INCONCLUSIVE');
    expect(p50?.detectable).toBeGreaterThan(p50?.detectableLimit as number);
    expect(p50?.needed?.windowSeconds).toBeGreaterThan(600);
    expect(p50?.reason).toMatch(/a window of [0-9.]+ (min|h)/);
  });

  it('cancels a drift that hits both slots: latency x3 in the middle of the window still passes', () => {
    const baseline: CanaryPeriod[] = [];
    const canary: CanaryPeriod[] = [];
    const rand = seededRandom(11);
    for (let m = 0; m < 10; m++) {
      const drift = m >= 4 && m < 7 ? 3 : 1;
      const noise = () => Math.exp(0.03 * (rand() - 0.5));
      baseline.push(period(m, 960, 1, 80 * drift * noise()));
      canary.push(period(m, 240, 0, 80 * drift * noise()));
    }

    const verdict = judgeCanaryStep({ baseline, canary, config });

    expect(verdict.signals.find((s) => s.signal === 'latencyP50')?.outcome).toBe('PASS');
  });

  it('pairs periods by time and reports those only one slot served', () => {
    const baseline = [
      period(0, 100, 0, 10),
      period(1, 100, 0, 10),
      period(2, 100, 0, 10),
      period(3, 100, 0, 10),
    ];
    const canary = [
      period(1, 20, 0, 10.5),
      period(2, 20, 0, 9.5),
      period(3, 20, 0, 10),
      period(9, 20, 0, 10),
    ];

    const verdict = judgeCanaryStep({ baseline, canary, config });

    expect(verdict.periods).toEqual({ paired: 3, baselineOnly: 1, canaryOnly: 1 });
    expect(verdict.signals.every((s) => s.periods === 3)).toBe(true);
  });

  it('holds errors to the summed counts: +3 pp on 2,400 canary requests fails errorRate', () => {
    const baseline = Array.from({ length: 10 }, (_, m) => period(m, 960, 2, 50));
    const canary = Array.from({ length: 10 }, (_, m) => period(m, 240, 8, 50));

    const verdict = judgeCanaryStep({ baseline, canary, config });

    const errors = verdict.signals.find((s) => s.signal === 'errorRate');
    expect(errors?.outcome).toBe('FAIL');
    expect(errors?.test).toBe('farrington-manning');
    expect(errors?.canary).toMatchObject({ requests: 2400, errors: 80 });
    expect(verdict.series?.unit).toBe('ratio');
  });

  it('does not fail on one error among few canary requests (exact test, not the normal approximation)', () => {
    const baseline = Array.from({ length: 10 }, (_, m) => period(m, 57, m === 0 ? 1 : 0, 50));
    const canary = Array.from({ length: 10 }, (_, m) => period(m, 3, m === 5 ? 1 : 0, 50));

    const verdict = judgeCanaryStep({ baseline, canary, config });

    const errors = verdict.signals.find((s) => s.signal === 'errorRate');
    expect(errors?.test).toBe('berger-boos-exact');
    expect(errors?.outcome).not.toBe('FAIL');
  });
});

describe('judgeCanaryStep input checks', () => {
  const good = Array.from({ length: 5 }, (_, m) => period(m, 100, 0, 10));
  it.each([
    [
      'negative latency',
      [period(0, 100, 0, -1)],
      /canary\[0\]\.latencyMs\.p50: must be a finite number >= 0 ms, got -1/,
    ],
    ['non-finite latency', [period(0, 100, 0, 10, Number.POSITIVE_INFINITY)], /latencyMs\.p90/],
    ['NaN latency', [period(0, 100, 0, 10, 20, Number.NaN)], /latencyMs\.p99/],
    ['errors above requests', [period(0, 5, 6, 10)], /canary\[0\]\.errors: 6 errors out of 5 requests/],
    ['fractional requests', [period(0, 2.5, 0, 10)], /requests: must be a whole number/],
    ['negative errors', [period(0, 5, -1, 10)], /errors: must be a whole number/],
    ['a bad time', [{ ...period(0, 5, 0, 10), start: 'yesterday' }], /"yesterday" is not an ISO time/],
    ['a period twice', [period(0, 5, 0, 10), period(0, 5, 0, 10)], /appears twice/],
  ])('refuses %s, naming slot, period and field', (_, canary, message) => {
    expect(() => judgeCanaryStep({ baseline: good, canary, config })).toThrow(CanarySamplesError);
    expect(() => judgeCanaryStep({ baseline: good, canary, config })).toThrow(message);
  });

  it('gives a defined, finite verdict for a zero baseline latency and for huge outliers', () => {
    const baseline = [
      period(0, 100, 0, 0, 0, 0),
      period(1, 100, 0, 1.7e308, 1.7e308, 1.7e308),
      ...good.slice(2),
    ];
    const canary = [period(0, 20, 0, 5), period(1, 20, 0, 1.7e308, 1.7e308, 1.7e308), ...good.slice(2)];

    const verdict = judgeCanaryStep({ baseline, canary, config });

    const json = JSON.stringify(verdict);
    expect(json).not.toMatch(/null|Infinity|NaN/);
    expect(verdict.signals.every((s) => s.effect === undefined || Number.isFinite(s.effect))).toBe(true);
  });

  it('treats no periods, and periods with zero requests, as no data: INCONCLUSIVE, never a pass', () => {
    const verdict = judgeCanaryStep({ baseline: good, canary: [period(0, 0, 0, 0)], config });

    expect(verdict.outcome).toBe('INCONCLUSIVE');
    expect(verdict.periods.paired).toBe(0);
    expect(verdict.signals[0]?.reason).toMatch(/0 periods with traffic on both slots, need at least 3/);
    expect(JSON.stringify(verdict)).not.toMatch(/null|Infinity|NaN/);
  });
});
