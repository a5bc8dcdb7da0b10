// The judge's statistics against textbook / SciPy 1.17 reference values.
import { describe, expect, it } from 'vitest';
import {
  binomialUpperTail,
  clopperPearsonUpper,
  fisherExactGreater,
  holm,
  meanAndSd,
  normalQuantileUpper,
  normalUpperTail,
  proportionDifferenceUpperBound,
  proportionGreater,
  restrictedProportions,
  studentTQuantileUpper,
  studentTUpperTail,
  weightedHolm,
  weightedMeanTest,
} from '../../../lambdas/core/canary/statistics.ts';
import { seededRandom } from '../../../lambdas/core/shared/random.ts';

describe('proportion tests', () => {
  it("uses Fisher's exact test for rare errors (SciPy: p=0.0168770 and p=0.0078084)", () => {
    expect(fisherExactGreater(5, 100, 6, 300)).toBeCloseTo(0.016877, 5);
    const r = proportionGreater({ requests: 100, failed: 3 }, { requests: 400, failed: 0 });
    expect(r.test).toBe('fisher-exact');
    expect(r.p).toBeCloseTo(0.0078084, 5);
  });

  it('solves the Farrington-Manning restricted MLE (checked against a grid search)', () => {
    const [r1, r2] = restrictedProportions(30 / 500, 5 / 4000, 500, 4000, 0.01);
    expect(r1 - r2).toBeCloseTo(0.01, 12);
    expect(r1).toBeCloseTo(0.012421, 5);
  });
});

describe('descriptives', () => {
  it('has an accurate normal tail', () => {
    expect(normalUpperTail(1.959964)).toBeCloseTo(0.025, 6);
    expect(normalUpperTail(-1)).toBeCloseTo(0.8413447, 6);
  });
});

describe('the paired judge statistics', () => {
  it("Student's t tail and quantile match SciPy (t.sf(2, 5) = 0.0509697, t.isf(0.05, 9) = 1.8331129)", () => {
    expect(studentTUpperTail(2, 5)).toBeCloseTo(0.0509697, 6);
    expect(studentTUpperTail(-2, 5)).toBeCloseTo(1 - 0.0509697, 6);
    expect(studentTQuantileUpper(0.05, 9)).toBeCloseTo(1.8331129, 5);
    expect(normalQuantileUpper(0.05)).toBeCloseTo(1.6448536, 5);
  });

  it('binomial tail and Clopper-Pearson bound match closed forms', () => {
    // P(X >= 1 | n = 30, p = 0.021) = 1 - 0.979^30; upper 95 % bound for 0 of 100 is 1 - 0.05^(1/100).
    expect(binomialUpperTail(1, 30, 0.021)).toBeCloseTo(1 - 0.979 ** 30, 8);
    expect(clopperPearsonUpper(0, 100, 0.05)).toBeCloseTo(1 - 0.05 ** (1 / 100), 6);
  });

  it('Holm rejects step by step where Bonferroni would stop at the first', () => {
    expect(holm([0.01, 0.02, 0.04], 0.05).map((h) => h.rejected)).toEqual([true, true, true]);
    expect(holm([0.01, 0.04, 0.03], 0.05).map((h) => h.rejected)).toEqual([true, false, false]);
    // An untested signal still counts in the family.
    expect(holm([0.02, undefined], 0.05)).toEqual([
      { rejected: true, level: 0.025 },
      { rejected: false, level: 0.025 },
    ]);
  });

  it('keeps mean and sd finite for values near the largest double', () => {
    const { mean, sd } = meanAndSd([1.7e308, 1.7e308, 1.6e308]);
    expect(Number.isFinite(mean)).toBe(true);
    expect(Number.isFinite(sd)).toBe(true);
  });
});

describe('weighted paired t (WLS on an intercept)', () => {
  it('matches a hand computation (numpy WLS + scipy t.sf): mean 0.0894737, se 0.0245203, p 0.588222', () => {
    // numpy: W = sum w; m = sum(w x) / W; s2 = sum(w (x - m)^2) / (k - 1); se = sqrt(s2 / W);
    // scipy.stats.t.sf((m - log(1.1)) / se, 4) = 0.5882219067540865
    const { mean, se, df } = weightedMeanTest([0.12, 0.05, 0.3, 0.08, 0.15], [10, 40, 2, 25, 18]);
    expect(mean).toBeCloseTo(0.08947368421052632, 12);
    expect(se).toBeCloseTo(0.02452032906378138, 12);
    expect(df).toBe(4);
    expect(studentTUpperTail((mean - Math.log(1.1)) / se, df)).toBeCloseTo(0.5882219067540865, 6);
  });

  it('is the one-sample t with equal weights (scipy ttest_1samp: t 2.32379, p 0.051364)', () => {
    const { mean, se, df } = weightedMeanTest([0.1, 0.2, 0.3, 0.4], [7, 7, 7, 7]);
    const t = (mean - 0.1) / se;
    expect(t).toBeCloseTo(2.32379000772445, 10);
    expect(studentTUpperTail(t, df)).toBeCloseTo(0.051364039429199496, 6);
  });

  it('stays finite for values near the largest double', () => {
    const { mean, se } = weightedMeanTest([1.7e308, 1.7e308, 1.6e308], [1, 2, 3]);
    expect(Number.isFinite(mean)).toBe(true);
    expect(Number.isFinite(se)).toBe(true);
  });
});

describe('weighted Holm', () => {
  it('is Holm with equal weights', () => {
    for (const ps of [
      [0.01, 0.02, 0.04],
      [0.01, 0.04, 0.03],
      [0.02, 0.5, 0.001],
    ]) {
      expect(weightedHolm(ps, [1, 1, 1], 0.05).map((h) => h.rejected)).toEqual(
        holm(ps, 0.05).map((h) => h.rejected),
      );
    }
  });

  it('steps down by p / w and passes a rejected weight on (levels by hand)', () => {
    // p / w: 0.0421, 8, 0.04 -> the third first at 0.05 x 0.025 = 0.00125 (rejected), then the first at
    // 0.05 x 0.95 / 0.975 = 0.0487179 (rejected), then the second at 0.05 x 0.025 / 0.025 = 0.05 (not).
    const out = weightedHolm([0.04, 0.2, 0.001], [0.95, 0.025, 0.025], 0.05);
    expect(out.map((h) => h.rejected)).toEqual([true, false, true]);
    expect(out[2]?.level).toBeCloseTo(0.00125, 12);
    expect(out[0]?.level).toBeCloseTo(0.05 * (0.95 / 0.975), 12);
    expect(out[1]?.level).toBeCloseTo(0.05, 12);
    // Plain Holm holds a lone 0.03 to 0.05 / 3 and keeps it; the primary's share of 0.95 rejects it.
    expect(holm([0.03, 0.5, 0.5], 0.05)[0]?.rejected).toBe(false);
    expect(weightedHolm([0.03, 0.5, 0.5], [0.95, 0.025, 0.025], 0.05)[0]?.rejected).toBe(true);
  });

  it('stops at the first acceptance and keeps untested signals in the family', () => {
    // 0.002 / 0.5 = 0.004 comes first and is not <= 0.05 x 0.5 / 1.0 ... it is (0.025): rejected; then
    // 0.03 / 0.25 at 0.05 x 0.25 / 0.5 = 0.025: not rejected, so nothing after it is either.
    const out = weightedHolm([0.002, 0.03, undefined], [0.5, 0.25, 0.25], 0.05);
    expect(out.map((h) => h.rejected)).toEqual([true, false, false]);
    expect(out[2]?.level).toBeCloseTo(0.0125, 12);
    expect(() => weightedHolm([0.1], [0], 0.05)).toThrow(RangeError);
  });

  it('keeps the family-wise error at alpha under the global null (20,000 seeded draws)', () => {
    const rand = seededRandom(14);
    let anyRejected = 0;
    const draws = 20_000;
    for (let i = 0; i < draws; i++) {
      const ps = [rand(), rand(), rand()];
      if (weightedHolm(ps, [0.95, 0.025, 0.025], 0.05).some((h) => h.rejected)) anyRejected++;
    }
    // Independent uniform p-values: exactly 1 - (1 - 0.0475)(1 - 0.00125)^2 = 0.04988 in theory.
    expect(anyRejected / draws).toBeLessThan(0.05 + 3 * Math.sqrt((0.05 * 0.95) / draws));
    expect(anyRejected / draws).toBeGreaterThan(0.045);
  });
});

describe('upper confidence bound of a difference of error rates (inverted Farrington-Manning score test)', () => {
  // Reference: the restricted MLE by numerical maximisation of the constrained binomial likelihood
  // (scipy.optimize.minimize_scalar), the score equation solved with scipy.optimize.brentq.
  it.each([
    [12, 2400, 40, 9600, 0.005, 0.006304278239908086],
    [0, 500, 0, 2000, 0.025, 0.007624340621565652],
    [3, 300, 1, 1200, 0.05, 0.023955074638123113],
    [1, 1000, 9, 4000, 0.01, 0.005037205218142311],
  ])('canary %i/%i vs baseline %i/%i at level %f: %f', (x1, n1, x2, n2, level, expected) => {
    const bound = proportionDifferenceUpperBound(
      { requests: n1, failed: x1 },
      { requests: n2, failed: x2 },
      level,
    );
    expect(bound).toBeCloseTo(expected, 6);
  });
});
