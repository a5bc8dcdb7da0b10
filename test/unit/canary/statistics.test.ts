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
  proportionGreater,
  restrictedProportions,
  studentTQuantileUpper,
  studentTUpperTail,
} from '../../../lambdas/core/canary/statistics.ts';

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
