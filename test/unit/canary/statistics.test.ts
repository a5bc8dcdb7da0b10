// The judge's statistics against textbook / SciPy 1.17 reference values.
import { describe, expect, it } from 'vitest';
import {
  binomialUpperTail,
  clopperPearsonUpper,
  fisherExactGreater,
  holm,
  mannWhitneyGreater,
  meanAndSd,
  normalQuantileUpper,
  normalUpperTail,
  proportionGreater,
  quantileSorted,
  restrictedProportions,
  sortedCopy,
  studentTQuantileUpper,
  studentTUpperTail,
} from '../../../lambdas/core/canary/statistics.ts';

describe('Mann-Whitney U', () => {
  it('matches the textbook example without ties (SciPy: U=17, p=0.0556734)', () => {
    // scipy.stats.mannwhitneyu([19,22,16,29,24], [20,11,17,12], alternative='greater', method='asymptotic')
    const r = mannWhitneyGreater(sortedCopy([19, 22, 16, 29, 24]), sortedCopy([20, 11, 17, 12]));
    expect(r.U).toBe(17);
    expect(r.tieTerm).toBe(0);
    expect(r.p).toBeCloseTo(0.0556734, 5);
    expect(r.cles).toBeCloseTo(17 / 20, 10);
  });

  it('applies the tie correction (SciPy: U=32, p=0.1596263)', () => {
    const r = mannWhitneyGreater(sortedCopy([1, 2, 2, 3, 3, 3, 4, 5]), sortedCopy([1, 1, 2, 2, 3, 4]));
    expect(r.U).toBe(32);
    // tie groups: 1 (x3), 2 (x4), 3 (x4), 4 (x2), 5 (x1) -> 24 + 60 + 60 + 6 + 0
    expect(r.tieTerm).toBe(150);
    expect(r.p).toBeCloseTo(0.1596263, 5);
  });

  it('on 0/1 data equals the pooled two-proportion z times sqrt((N-1)/N)', () => {
    // Prepare: 30/1000 vs 20/1000 failures
    const canary = sortedCopy([...Array(30).fill(1), ...Array(970).fill(0)]);
    const baseline = sortedCopy([...Array(20).fill(1), ...Array(980).fill(0)]);
    // Act
    const mwu = mannWhitneyGreater(canary, baseline);
    const prop = proportionGreater({ requests: 1000, failed: 30 }, { requests: 1000, failed: 20 });
    // Assess (MWU z carries a -0.5 continuity correction; remove it to compare the statistics)
    const sd = (mwu.U - 500_000 - 0.5) / mwu.z;
    const zNoContinuity = (mwu.U - 500_000) / sd;
    expect(zNoContinuity).toBeCloseTo((prop.z as number) * Math.sqrt(1999 / 2000), 8);
    // SciPy use_continuity=False: p=0.0760903
    expect(normalUpperTail(zNoContinuity)).toBeCloseTo(0.0760903, 5);
  });
});

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
  it('takes quantiles like numpy (type 7)', () => {
    const s = sortedCopy([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(quantileSorted(s, 0.5)).toBe(5.5);
    expect(quantileSorted(s, 0.99)).toBeCloseTo(9.91, 10);
  });
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
