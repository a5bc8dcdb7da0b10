/**
 * Which slot serves the next request. Smooth weighted round-robin (nginx's upstream algorithm,
 * ngx_http_upstream_get_peer): deterministic, so over any 100 consecutive requests the canary at
 * weight w gets exactly w of them, spread out rather than in a burst. A random split would make the
 * canary's sample count itself noisy, and the judge needs a known sample count per step.
 */
import { InvalidWeightError } from './errors.ts';
import type { Slot } from './port.ts';

/** Refuses a weight that is not a finite number in [0, 100]; fractional percents are allowed (0.5 %). */
export function validateCanaryWeight(weight: unknown): number {
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0 || weight > 100) {
    throw new InvalidWeightError(weight);
  }
  return weight;
}

export class SmoothWeightedPicker {
  private canaryWeight = 0;
  private currentBaseline = 0;
  private currentCanary = 0;

  /** Sets the canary share in percent; restarts the cycle so the new split holds from the next request. */
  setCanaryWeight(weight: number): void {
    this.canaryWeight = validateCanaryWeight(weight);
    this.currentBaseline = 0;
    this.currentCanary = 0;
  }

  get weight(): number {
    return this.canaryWeight;
  }

  /** `hasCanary` false routes everything to the baseline whatever the weight (no canary deployed). */
  next(hasCanary: boolean): Slot {
    if (!hasCanary || this.canaryWeight === 0) return 'baseline';
    if (this.canaryWeight === 100) return 'canary';
    // Each peer gains its weight; the highest current wins and pays back the total.
    this.currentBaseline += 100 - this.canaryWeight;
    this.currentCanary += this.canaryWeight;
    if (this.currentCanary > this.currentBaseline) {
      this.currentCanary -= 100;
      return 'canary';
    }
    this.currentBaseline -= 100;
    return 'baseline';
  }
}
