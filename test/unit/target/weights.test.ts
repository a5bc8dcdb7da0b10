import { describe, expect, it } from 'vitest';
import { InvalidWeightError } from '../../../lambdas/core/target/errors.ts';
import type { Slot } from '../../../lambdas/core/target/port.ts';
import { SmoothWeightedPicker, validateCanaryWeight } from '../../../lambdas/core/target/weights.ts';

function countCanary(picker: SmoothWeightedPicker, requests: number, hasCanary = true): number {
  let canary = 0;
  for (let i = 0; i < requests; i++) if (picker.next(hasCanary) === 'canary') canary++;
  return canary;
}

describe('SmoothWeightedPicker', () => {
  it.each([1, 5, 10, 20, 25, 50, 75, 99])(
    'sends exactly %i of every 100 requests to the canary',
    (weight) => {
      // Prepare
      const picker = new SmoothWeightedPicker();
      picker.setCanaryWeight(weight);
      // Act
      const perCycle = [countCanary(picker, 100), countCanary(picker, 100), countCanary(picker, 100)];
      // Assess
      expect(perCycle).toEqual([weight, weight, weight]);
    },
  );

  it('spreads canary requests out instead of sending them in a burst', () => {
    // Prepare
    const picker = new SmoothWeightedPicker();
    picker.setCanaryWeight(20);
    // Act
    const order: Slot[] = Array.from({ length: 10 }, () => picker.next(true));
    // Assess: at 20 % one in five, never two in a row.
    expect(order.filter((s) => s === 'canary')).toHaveLength(2);
    expect(order.join(',')).not.toContain('canary,canary');
  });

  it('sends everything to the baseline at weight 0 or when no canary is deployed', () => {
    // Prepare
    const picker = new SmoothWeightedPicker();
    // Act
    const atZero = countCanary(picker, 50);
    picker.setCanaryWeight(40);
    const noCanary = countCanary(picker, 50, false);
    // Assess
    expect(atZero).toBe(0);
    expect(noCanary).toBe(0);
  });

  it('sends everything to the canary at weight 100', () => {
    const picker = new SmoothWeightedPicker();
    picker.setCanaryWeight(100);
    expect(countCanary(picker, 37)).toBe(37);
  });

  it('honours a fractional weight over a long run', () => {
    const picker = new SmoothWeightedPicker();
    picker.setCanaryWeight(0.5);
    expect(countCanary(picker, 2000)).toBe(10);
  });
});

describe('validateCanaryWeight', () => {
  it.each([-1, 100.5, Number.NaN, Number.POSITIVE_INFINITY, '20', undefined])('refuses %s', (weight) => {
    expect(() => validateCanaryWeight(weight)).toThrow(InvalidWeightError);
  });

  it('accepts the bounds', () => {
    expect(validateCanaryWeight(0)).toBe(0);
    expect(validateCanaryWeight(100)).toBe(100);
  });
});
