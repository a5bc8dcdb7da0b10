/**
 * The statistics the canary judge uses, written out so every number can be kept in the verdict and
 * checked against a textbook (or SciPy) value. Pure functions, no dependencies.
 */

/** Upper tail of the standard normal, P(Z >= z). erfc by W. J. Cody's rational Chebyshev fit (|err| < 1.2e-7). */
export function normalUpperTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

function erfc(x: number): number {
  // Numerical Recipes `erfcc`: fractional error below 1.2e-7 everywhere, enough for p-values vs alpha.
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

export interface ProportionTestResult {
  readonly test: 'two-proportion-z' | 'fisher-exact';
  /** The z statistic (two-proportion test only). */
  readonly z?: number;
  /** One-sided p-value for "the canary's failure rate is greater than the baseline's". */
  readonly p: number;
  /** Cohen's h, 2 asin sqrt(p1) - 2 asin sqrt(p2): the standardized effect of a difference of proportions. */
  readonly cohensH: number;
}

/**
 * Is the canary's failure proportion greater than the baseline's? From counts: O(1), and works on
 * CloudWatch sums. When an expected cell count is below 5 (rare errors, small canary) the normal approximation
 * is poor, so Fisher's exact conditional test (hypergeometric upper tail) is used instead.
 */
export function proportionGreater(
  canary: { readonly requests: number; readonly failed: number },
  baseline: { readonly requests: number; readonly failed: number },
): ProportionTestResult {
  const n1 = canary.requests;
  const n2 = baseline.requests;
  const p1 = n1 > 0 ? canary.failed / n1 : 0;
  const p2 = n2 > 0 ? baseline.failed / n2 : 0;
  const cohensH = 2 * Math.asin(Math.sqrt(p1)) - 2 * Math.asin(Math.sqrt(p2));
  const n = n1 + n2;
  const failed = canary.failed + baseline.failed;
  const pooled = n > 0 ? failed / n : 0;
  const minExpected = Math.min(n1 * pooled, n2 * pooled, n1 * (1 - pooled), n2 * (1 - pooled));
  if (minExpected >= 5) {
    const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
    const z = (p1 - p2) / se;
    return { test: 'two-proportion-z', z, p: normalUpperTail(z), cohensH };
  }
  return { test: 'fisher-exact', p: fisherExactGreater(canary.failed, n1, failed, n), cohensH };
}

/** P(X >= k) for X ~ Hypergeometric(population N, successes K, draws n): Fisher's exact test, one-sided. */
export function fisherExactGreater(k: number, draws: number, successes: number, population: number): number {
  const high = Math.min(draws, successes);
  const low = Math.max(0, draws + successes - population);
  if (k <= low) return 1;
  const logDenominator = logChoose(population, draws);
  let p = 0;
  for (let x = Math.max(k, low); x <= high; x++) {
    p += Math.exp(logChoose(successes, x) + logChoose(population - successes, draws - x) - logDenominator);
  }
  return Math.min(1, p);
}

function logChoose(n: number, k: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Gamma(x) for x > 0, Lanczos approximation (g = 7, n = 9), ~15 significant digits. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const y = x - 1;
  let a = LANCZOS[0] as number;
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += (LANCZOS[i] as number) / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * Is the canary's failure proportion greater than the baseline's by more than `margin` (absolute)?
 * With margin 0 this is `proportionGreater`. With a margin, the Farrington-Manning score test
 * (Farrington & Manning 1990): the variance is taken at the maximum-likelihood proportions restricted
 * to p_canary - p_baseline = margin, which keeps it valid when one side saw no errors at all
 * (a Wald test would divide by a zero variance there).
 */
export function proportionGreaterByMargin(
  canary: { readonly requests: number; readonly failed: number },
  baseline: { readonly requests: number; readonly failed: number },
  margin: number,
): ProportionTestResult {
  if (margin <= 0) return proportionGreater(canary, baseline);
  const n1 = canary.requests;
  const n2 = baseline.requests;
  const p1 = canary.failed / n1;
  const p2 = baseline.failed / n2;
  const cohensH = 2 * Math.asin(Math.sqrt(p1)) - 2 * Math.asin(Math.sqrt(p2));
  const [r1, r2] = restrictedProportions(p1, p2, n1, n2, margin);
  const se = Math.sqrt((r1 * (1 - r1)) / n1 + (r2 * (1 - r2)) / n2);
  const z =
    se > 0
      ? (p1 - p2 - margin) / se
      : p1 - p2 - margin > 0
        ? Number.POSITIVE_INFINITY
        : Number.NEGATIVE_INFINITY;
  return { test: 'two-proportion-z', z, p: normalUpperTail(z), cohensH };
}

/** Restricted MLE (p1~, p2~) under p1 - p2 = delta: the closed-form root of Farrington-Manning's cubic. */
export function restrictedProportions(
  p1: number,
  p2: number,
  n1: number,
  n2: number,
  delta: number,
): [number, number] {
  const theta = n2 / n1;
  const a = 1 + theta;
  const b = -(1 + theta + p1 + theta * p2 + delta * (theta + 2));
  const c = delta * delta + delta * (2 * p1 + theta + 1) + p1 + theta * p2;
  const d = -p1 * delta * (1 + delta);
  const v = b ** 3 / (27 * a ** 3) - (b * c) / (6 * a * a) + d / (2 * a);
  const u = Math.sign(v || 1) * Math.sqrt(Math.max(0, (b * b) / (9 * a * a) - c / (3 * a)));
  const ratio = u === 0 ? 0 : Math.max(-1, Math.min(1, v / u ** 3));
  const w = (Math.PI + Math.acos(ratio)) / 3;
  const r1 = Math.min(1, Math.max(delta, 2 * u * Math.cos(w) - b / (3 * a)));
  return [r1, r1 - delta];
}

/** Regularized incomplete beta I_x(a, b): Numerical Recipes `betai` with Lentz's continued fraction. */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-14) break;
  }
  return h;
}

/** Upper tail of Student's t with `df` degrees of freedom, P(T >= t) (SciPy `stats.t.sf`). */
export function studentTUpperTail(t: number, df: number): number {
  if (Number.isNaN(t)) return Number.NaN;
  if (t === Number.POSITIVE_INFINITY) return 0;
  if (t === Number.NEGATIVE_INFINITY) return 1;
  const tail = 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? tail : 1 - tail;
}

/** The t with P(T >= t) = p (SciPy `stats.t.isf`), by bisection on the monotone upper tail. */
export function studentTQuantileUpper(p: number, df: number): number {
  let lo = -1e3;
  let hi = 1e3;
  for (let i = 0; i < 200 && hi - lo > 1e-10; i++) {
    const mid = (lo + hi) / 2;
    if (studentTUpperTail(mid, df) > p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** The z with P(Z >= z) = p, by bisection on normalUpperTail (p-values here need no more than 1e-7). */
export function normalQuantileUpper(p: number): number {
  let lo = -40;
  let hi = 40;
  for (let i = 0; i < 200 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (normalUpperTail(mid) > p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Holm's step-down procedure (Holm 1979): with m p-values sorted ascending, reject the j-th smallest
 * (j from 0) while p_(j) <= alpha / (m - j); stop at the first that is not. Controls the family-wise
 * error rate at alpha like Bonferroni, and is never less powerful. Returns, per input, whether it is
 * rejected and the level it was compared with. Absent p-values (untested signals) still count in m.
 */
export function holm(
  pValues: readonly (number | undefined)[],
  alpha: number,
): { rejected: boolean; level: number }[] {
  const m = pValues.length;
  const order = pValues
    .map((p, index) => ({ p, index }))
    .filter((e): e is { p: number; index: number } => e.p !== undefined)
    .sort((a, b) => a.p - b.p);
  const out = pValues.map(() => ({ rejected: false, level: alpha / Math.max(1, m) }));
  let stopped = false;
  order.forEach(({ p, index }, j) => {
    const level = alpha / (m - j);
    out[index] = { rejected: !stopped && p <= level, level };
    if (!(p <= level)) stopped = true;
  });
  return out;
}

/**
 * Mean and sample standard deviation (n - 1): Welford's pass on values scaled by the largest
 * magnitude, so values near the largest double neither overflow the sum nor the squares.
 */
export function meanAndSd(values: ArrayLike<number>): { mean: number; sd: number } {
  let scale = 0;
  for (let i = 0; i < values.length; i++) scale = Math.max(scale, Math.abs(values[i] as number));
  if (scale === 0 || !Number.isFinite(scale)) scale = 1;
  let m = 0;
  let s = 0;
  for (let i = 0; i < values.length; i++) {
    const x = (values[i] as number) / scale;
    const delta = x - m;
    m += delta / (i + 1);
    s += delta * (x - m);
  }
  const n = values.length;
  return { mean: n > 0 ? m * scale : Number.NaN, sd: n > 1 ? Math.sqrt(s / (n - 1)) * scale : Number.NaN };
}

/** P(X >= k) for X ~ Binomial(n, p), through the incomplete beta (I_p(k, n - k + 1)). */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  return regularizedBeta(p, k, n - k + 1);
}

/** One-sided upper (1 - gamma) Clopper-Pearson bound of a binomial proportion with k of n. */
export function clopperPearsonUpper(k: number, n: number, gamma: number): number {
  if (k >= n) return 1;
  // The p with P(X <= k | p) = gamma, i.e. P(X >= k + 1 | p) = 1 - gamma; the tail grows with p.
  let lo = k / n;
  let hi = 1;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (binomialUpperTail(k + 1, n, mid) < 1 - gamma) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * Exact margin test for few errors, where the score test's normal approximation fails (one canary
 * error in 30 requests is not evidence of +0.5 pp): Berger & Boos (1994). The baseline rate is a
 * nuisance; take its (1 - gamma) upper confidence bound U, and the p-value is
 * P(X_canary >= observed | rate U + margin) + gamma, valid for any true baseline rate.
 */
export function proportionGreaterByMarginExact(
  canary: { readonly requests: number; readonly failed: number },
  baseline: { readonly requests: number; readonly failed: number },
  margin: number,
  gamma = 0.001,
): number {
  const upper = clopperPearsonUpper(baseline.failed, baseline.requests, gamma);
  return Math.min(1, binomialUpperTail(canary.failed, canary.requests, Math.min(1, upper + margin)) + gamma);
}

export interface WeightedMeanTest {
  /** The weighted mean of the values. */
  readonly mean: number;
  /** Its standard error: sqrt(s^2 / sum w), s^2 = sum w (x - mean)^2 / (k - 1). */
  readonly se: number;
  readonly df: number;
}

/**
 * The mean of k values with precision weights, and its standard error with the scale estimated from
 * the data: weighted least squares on an intercept (SciPy/statsmodels `WLS(x, 1, weights=w)`). Each
 * value's variance is taken as sigma^2 / w_i with sigma unknown, so the test statistic
 * (mean - mu0) / se is Student's t with k - 1 degrees of freedom when the values are normal, exactly
 * as the unweighted one-sample t (which it is with equal weights). Weights only need to be
 * proportional to each value's precision; they must not depend on the values themselves.
 */
export function weightedMeanTest(values: readonly number[], weights: readonly number[]): WeightedMeanTest {
  const k = values.length;
  let total = 0;
  let scale = 0;
  for (let i = 0; i < k; i++) {
    total += weights[i] as number;
    scale = Math.max(scale, Math.abs(values[i] as number));
  }
  if (scale === 0 || !Number.isFinite(scale)) scale = 1;
  // Scaled by the largest magnitude, as meanAndSd, so values near the largest double stay finite.
  let mean = 0;
  for (let i = 0; i < k; i++) mean += ((weights[i] as number) / total) * ((values[i] as number) / scale);
  let ss = 0;
  for (let i = 0; i < k; i++)
    ss += ((weights[i] as number) / total) * ((values[i] as number) / scale - mean) ** 2;
  const df = k - 1;
  return {
    mean: mean * scale,
    // ss = sum (w / W) (x - m)^2 = s^2 (k - 1) / W, so s^2 / W = ss / (k - 1).
    se: df > 0 && total > 0 ? Math.sqrt(ss / df) * scale : Number.NaN,
    df,
  };
}

/**
 * Weighted Holm (Holm 1979, section 5; the closed test of weighted Bonferroni intersection tests):
 * hypothesis i has weight w_i > 0. Among the hypotheses not yet rejected (set S), the one with the
 * smallest p_i / w_i is rejected when p_i <= alpha * w_i / sum_{j in S} w_j; its weight then goes to
 * the others, and the procedure stops at the first that is not rejected. Controls the family-wise
 * error rate at alpha for any dependence between the p-values, like Holm (which it is with equal
 * weights): a signal with most of the weight is tested at nearly alpha when alone, while every other
 * signal keeps a guaranteed share. Absent p-values (untested signals) keep their weight in S.
 * Returns, per input, whether it is rejected and the level it was compared with.
 */
export function weightedHolm(
  pValues: readonly (number | undefined)[],
  weights: readonly number[],
  alpha: number,
): { rejected: boolean; level: number }[] {
  if (weights.length !== pValues.length || weights.some((w) => !(w > 0 && Number.isFinite(w)))) {
    throw new RangeError('weightedHolm: one finite positive weight per p-value');
  }
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const out = pValues.map((_, i) => ({
    rejected: false,
    level: (alpha * (weights[i] as number)) / totalWeight,
  }));
  const order = pValues
    .map((p, index) => ({ p, index, w: weights[index] as number }))
    .filter((e): e is { p: number; index: number; w: number } => e.p !== undefined)
    .sort((a, b) => a.p / a.w - b.p / b.w);
  let remaining = totalWeight;
  let stopped = false;
  for (const { p, index, w } of order) {
    // After the first acceptance nothing more is rejected; the rest report the level they were held to.
    const level = (alpha * w) / remaining;
    const rejected = !stopped && p <= level;
    out[index] = { rejected, level };
    if (rejected) remaining -= w;
    else stopped = true;
  }
  return out;
}

/**
 * Upper (1 - level) confidence bound of p_canary - p_baseline by inverting the Farrington-Manning
 * score test: the largest delta that the one-sided test of "p_canary - p_baseline >= delta" against
 * "< delta" does not reject, i.e. (d - delta) / se(delta) >= -z(level) with se from the proportions
 * restricted to a difference of delta (as in proportionGreaterByMargin). Unlike a Wald bound it stays
 * informative when one side saw no error at all. Found by bisection (the statistic falls as delta grows).
 */
export function proportionDifferenceUpperBound(
  canary: { readonly requests: number; readonly failed: number },
  baseline: { readonly requests: number; readonly failed: number },
  level: number,
): number {
  const n1 = canary.requests;
  const n2 = baseline.requests;
  const p1 = canary.failed / n1;
  const p2 = baseline.failed / n2;
  const d = p1 - p2;
  const z = normalQuantileUpper(level);
  const score = (delta: number) => {
    // The closed form is for delta >= 0; a negative difference is the same cubic with the sides swapped.
    const [r1, r2] =
      delta >= 0
        ? restrictedProportions(p1, p2, n1, n2, delta)
        : (restrictedProportions(p2, p1, n2, n1, -delta).reverse() as [number, number]);
    const se = Math.sqrt((r1 * (1 - r1)) / n1 + (r2 * (1 - r2)) / n2);
    return se > 0 ? (d - delta) / se : d - delta >= 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  };
  let lo = d;
  let hi = 1;
  for (let i = 0; i < 100 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (score(mid) >= -z) lo = mid;
    else hi = mid;
  }
  return lo;
}
