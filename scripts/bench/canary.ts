// Canary judge on generated CloudWatch-shaped cases (seeded, reproducible), side by side with a
// reference paired t-test and a static threshold. `npm run bench -- canary`
//
// Each case is one canary step's window: per 60 s period and per slot, what GetMetricData returns for
// the slot's target group (requests, 5xx, TargetResponseTime p50/p90/p99). Per period a drift that hits
// both slots changes the traffic, the latency and the error rate; arrivals are Poisson, latency is
// log-normal with 0.3, 1 or 3 % spikes x5-15, errors binomial. A period's percentiles are drawn exactly: the k-th
// of n uniform order statistics (from Gamma spacings) through the latency quantile function, so a
// 100 rps case costs what a 1 rps case does.
import { type CanaryVerdict, judgeCanaryStep } from '../../lambdas/core/canary/judge.ts';
import type { CanaryPeriod, CanarySeries } from '../../lambdas/core/canary/periods.ts';
import { type CanarySpec, parseCanarySpec } from '../../lambdas/core/canary/spec.ts';
import { meanAndSd, normalUpperTail, studentTUpperTail } from '../../lambdas/core/canary/statistics.ts';
import { seededRandom } from '../../lambdas/core/shared/random.ts';

type Rand = () => number;

function normal(rand: Rand): number {
  const u = 1 - rand();
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Marsaglia & Tsang (2000); shape < 1 by the u^(1/shape) boost. */
function gamma(rand: Rand, shape: number): number {
  if (shape < 1) return gamma(rand, shape + 1) * (1 - rand()) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(rand);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rand();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

function poisson(rand: Rand, lambda: number): number {
  if (lambda > 60) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * normal(rand)));
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = rand();
  while (p > limit) {
    k++;
    p *= rand();
  }
  return k;
}

function binomial(rand: Rand, n: number, p: number): number {
  if (n * p * (1 - p) > 25)
    return Math.min(n, Math.max(0, Math.round(n * p + Math.sqrt(n * p * (1 - p)) * normal(rand))));
  // Inversion: walk the pmf from 0.
  const q = 1 - p;
  let pmf = q ** n;
  let cdf = pmf;
  const u = rand();
  let k = 0;
  while (u > cdf && k < n) {
    pmf *= ((n - k) / (k + 1)) * (p / q);
    cdf += pmf;
    k++;
  }
  return k;
}

const SPIKES = Array.from({ length: 10 }, (_, j) => 5 + (10 * (j + 0.5)) / 10); // x5-15, midpoints

/** The latency quantile function of a unit-median service (log-normal body, 1 % spikes x5-15), tabulated. */
function quantileTable(sigma: number, spikeShare: number): (u: number) => number {
  const cdf = (lnX: number) => {
    const body = 1 - normalUpperTail(lnX / sigma);
    let spikes = 0;
    for (const m of SPIKES) spikes += 1 - normalUpperTail((lnX - Math.log(m)) / sigma);
    return (1 - spikeShare) * body + (spikeShare * spikes) / SPIKES.length;
  };
  const size = 4000;
  const lnQ = new Float64Array(size + 1);
  for (let i = 0; i <= size; i++) {
    const u = Math.min(1 - 1e-9, Math.max(1e-9, i / size));
    let lo = -12 * sigma;
    let hi = 12 * sigma + Math.log(15);
    for (let it = 0; it < 60; it++) {
      const mid = (lo + hi) / 2;
      if (cdf(mid) < u) lo = mid;
      else hi = mid;
    }
    lnQ[i] = (lo + hi) / 2;
  }
  return (u) => {
    const h = u * size;
    const i = Math.min(size - 1, Math.floor(h));
    return Math.exp((lnQ[i] as number) + (h - i) * ((lnQ[i + 1] as number) - (lnQ[i] as number)));
  };
}

const SIGMAS = [0.3, 0.45, 0.6] as const;
const SPIKE_SHARES = [0.003, 0.01, 0.03] as const;
const TABLES = new Map<string, (u: number) => number>();
function tableOf(sigma: number, spikeShare: number): (u: number) => number {
  const key = `${sigma}/${spikeShare}`;
  let table = TABLES.get(key);
  if (!table) {
    table = quantileTable(sigma, spikeShare);
    TABLES.set(key, table);
  }
  return table;
}

export interface SimService {
  readonly medianMs: number;
  readonly sigma: number;
  /** Share of requests that are slow spikes (x5-15). */
  readonly spikeShare: number;
  readonly errorRate: number;
}

export function randomService(rand: Rand): SimService {
  return {
    medianMs: 20 + rand() * 180,
    sigma: SIGMAS[Math.floor(rand() * SIGMAS.length)] as number,
    spikeShare: SPIKE_SHARES[Math.floor(rand() * SPIKE_SHARES.length)] as number,
    errorRate: 0.0005 + rand() * 0.0045, // 0.05-0.5 %
  };
}

export interface SimStep {
  readonly rps: number;
  /** Canary share of the traffic, 0-1. */
  readonly weight: number;
  readonly windowMinutes: number;
  /** The canary's latency, times the baseline's (1.2: +20 % at every percentile). */
  readonly latencyFactor?: number;
  /** Added to the canary's error rate (absolute). */
  readonly addedErrorRate?: number;
  readonly periodSeconds?: number;
}

/** Percentiles (p50, p90, p99) of n draws, as numpy's type-7 would give, via joint uniform order statistics. */
function percentilesOf(rand: Rand, n: number, quantile: (u: number) => number): CanaryPeriod['latencyMs'] {
  if (n <= 60) {
    const draws = Array.from({ length: n }, () => quantile(rand())).sort((a, b) => a - b);
    const q = (p: number) => {
      const h = (n - 1) * p;
      const lo = Math.floor(h);
      const a = draws[lo] as number;
      return a + (h - lo) * ((draws[Math.min(n - 1, lo + 1)] as number) - a);
    };
    return { p50: q(0.5), p90: q(0.9), p99: q(0.99) };
  }
  // The k-th smallest of n uniforms is the sum of k of n + 1 Gamma(1) spacings over their total.
  const ranks = [0.5, 0.9, 0.99].map((p) => Math.round((n - 1) * p) + 1);
  const [k1, k2, k3] = ranks as [number, number, number];
  const g1 = gamma(rand, k1);
  const g2 = gamma(rand, k2 - k1);
  const g3 = gamma(rand, k3 - k2);
  const total = g1 + g2 + g3 + gamma(rand, n + 1 - k3);
  return {
    p50: quantile(g1 / total),
    p90: quantile((g1 + g2) / total),
    p99: quantile((g1 + g2 + g3) / total),
  };
}

/** One canary step's window as both slots' CloudWatch series. */
export function simulateStep(rand: Rand, service: SimService, step: SimStep): CanarySeries {
  const periodSeconds = step.periodSeconds ?? 60;
  const periods = Math.round((step.windowMinutes * 60) / periodSeconds);
  const quantile = tableOf(service.sigma, service.spikeShare);
  const baseline: CanaryPeriod[] = [];
  const canary: CanaryPeriod[] = [];
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  let walk = 0;
  for (let i = 0; i < periods; i++) {
    // Shared by both slots in this period: traffic, latency (a slow walk plus noise), error rate.
    walk += 0.05 * normal(rand);
    const traffic = Math.exp(0.2 * normal(rand));
    const latency = Math.exp(walk + 0.15 * normal(rand));
    const errors = Math.exp(0.3 * normal(rand));
    const start = new Date(t0 + i * periodSeconds * 1000).toISOString();
    for (const slot of ['baseline', 'canary'] as const) {
      const share = slot === 'canary' ? step.weight : 1 - step.weight;
      const n = poisson(rand, step.rps * periodSeconds * traffic * share);
      if (n === 0) continue; // CloudWatch has no datapoint for a period without traffic
      const factor = service.medianMs * latency * (slot === 'canary' ? (step.latencyFactor ?? 1) : 1);
      const pct = percentilesOf(rand, n, quantile);
      const rate = Math.min(
        1,
        service.errorRate * errors + (slot === 'canary' ? (step.addedErrorRate ?? 0) : 0),
      );
      (slot === 'canary' ? canary : baseline).push({
        start,
        requests: n,
        errors: binomial(rand, n, rate),
        latencyMs: { p50: pct.p50 * factor, p90: pct.p90 * factor, p99: pct.p99 * factor },
      });
    }
  }
  return { baseline, canary };
}

/** The reference: the plain paired test the issue names, p50 only, one-sided t against ln(1 + decay) at alpha. */
export function referencePairedT(series: CanarySeries, decay: number, alpha: number): 'FAIL' | 'PASS' {
  const canary = new Map(series.canary.map((p) => [p.start, p]));
  const d = series.baseline.flatMap((b) => {
    const c = canary.get(b.start);
    return c ? [Math.log(Math.max(c.latencyMs.p50, 0.1) / Math.max(b.latencyMs.p50, 0.1))] : [];
  });
  if (d.length < 2) return 'PASS';
  const { mean, sd } = meanAndSd(d);
  const t = (mean - Math.log1p(decay)) / (sd / Math.sqrt(d.length));
  return studentTUpperTail(t, d.length - 1) < alpha ? 'FAIL' : 'PASS';
}

/** What many pipelines do: the canary's window value against the baseline's plus the allowed decay, no test. */
export function staticThreshold(series: CanarySeries, spec: CanarySpec): 'FAIL' | 'PASS' {
  const sum = (periods: readonly CanaryPeriod[], key: 'requests' | 'errors') =>
    periods.reduce((t, p) => t + p[key], 0);
  const weighted = (periods: readonly CanaryPeriod[], key: 'p50' | 'p90' | 'p99') =>
    periods.reduce((t, p) => t + p.latencyMs[key] * p.requests, 0) / Math.max(1, sum(periods, 'requests'));
  const b = series.baseline;
  const c = series.canary;
  if (sum(c, 'requests') === 0 || sum(b, 'requests') === 0) return 'PASS';
  for (const [signal, decay] of Object.entries(spec.decay)) {
    if (signal === 'errorRate' && 'absolute' in decay) {
      if (sum(c, 'errors') / sum(c, 'requests') > sum(b, 'errors') / sum(b, 'requests') + decay.absolute)
        return 'FAIL';
    } else if ('relative' in decay) {
      const key = signal === 'latencyP50' ? 'p50' : signal === 'latencyP90' ? 'p90' : 'p99';
      if (weighted(c, key) > weighted(b, key) * (1 + decay.relative)) return 'FAIL';
    }
  }
  return 'PASS';
}

const RPS = [1, 5, 20, 100] as const;
const WEIGHTS = [0.05, 0.2, 0.5] as const;
const WINDOWS = [5, 10, 20, 30] as const;
// CANARY_BENCH_CASES=400 for tighter cells (the README quotes both); a bad value is refused, not ignored.
const CASES_PER_CELL = casesPerCell(process.env.CANARY_BENCH_CASES);

function casesPerCell(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 150;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 10 || n > 10_000) {
    throw new RangeError(
      `CANARY_BENCH_CASES must be an integer from 10 to 10000, got ${JSON.stringify(raw)}`,
    );
  }
  return n;
}

interface Tally {
  cases: number;
  judgeFail: number;
  judgeInconclusive: number;
  referenceFail: number;
  familyReferenceFail: number;
  staticFail: number;
}

const tally = (): Tally => ({
  cases: 0,
  judgeFail: 0,
  judgeInconclusive: 0,
  referenceFail: 0,
  familyReferenceFail: 0,
  staticFail: 0,
});

interface Compared {
  readonly reference: string;
  /** The same reference test at latencyP50's share of alpha: the level the judge holds a lone p50 regression to. */
  readonly familyReference: string;
  readonly fixed: string;
}

/** latencyP50's first-step share of alpha under the spec's weights (weighted Holm; 1 / m with equal weights). */
export function p50Share(spec: CanarySpec): number {
  const weights = Object.entries(spec.decay).map(([signal, d]) => ({ signal, w: d.weight ?? 1 }));
  const total = weights.reduce((a, b) => a + b.w, 0);
  return (weights.find((x) => x.signal === 'latencyP50')?.w ?? 0) / total;
}

function compare(series: CanarySeries, spec: CanarySpec, p50Decay: number): Compared {
  return {
    reference: referencePairedT(series, p50Decay, spec.alpha),
    familyReference: referencePairedT(series, p50Decay, spec.alpha * p50Share(spec)),
    fixed: staticThreshold(series, spec),
  };
}

function count(t: Tally, verdict: CanaryVerdict, c?: Compared): void {
  t.cases++;
  if (verdict.outcome === 'FAIL') t.judgeFail++;
  if (verdict.outcome === 'INCONCLUSIVE') t.judgeInconclusive++;
  if (c?.reference === 'FAIL') t.referenceFail++;
  if (c?.familyReference === 'FAIL') t.familyReferenceFail++;
  if (c?.fixed === 'FAIL') t.staticFail++;
}

export async function run(): Promise<void> {
  const spec = parseCanarySpec({});
  const p50Decay =
    spec.decay.latencyP50 && 'relative' in spec.decay.latencyP50 ? spec.decay.latencyP50.relative : 0.1;
  const rand = seededRandom(20261201);
  const cpuStart = process.cpuUsage();
  const pct = (n: number, d: number) => `${((100 * n) / Math.max(1, d)).toFixed(1)}`;
  console.log(
    `${CASES_PER_CELL} healthy and ${CASES_PER_CELL} regressed cases per cell (rps x canary weight x window), 60 s periods`,
  );
  console.log(
    'latency log-normal (median 20-200 ms, sigma 0.3/0.45/0.6) with 0.3, 1 or 3 % spikes x5-15; errors 0.05-0.5 %; per period a drift shared by both slots (traffic x e^N(0,0.2), latency: a walk of sd 0.05 plus e^N(0,0.15), errors x e^N(0,0.3))',
  );
  console.log(
    `judge: the defaults (decay ${JSON.stringify(spec.decay)}, alpha ${spec.alpha} weighted Holm (p50's share ${p50Share(spec)}), maxDetectableRatio ${spec.maxDetectableRatio}, minPeriods ${spec.minPeriods})`,
  );
  console.log(
    `reference: paired one-sided t of per-period ln(canary p50 / baseline p50) vs ln(1 + ${p50Decay}), alpha ${spec.alpha}, p50 only`,
  );
  console.log('static: canary window value > baseline value + allowed decay on any default signal, no test');
  console.log('regressed: canary latency x1.2 at every percentile (+20 % p50). Columns in %.\n');

  const header = [
    'rps',
    'canary',
    'window',
    'healthy: judge FAIL',
    'INCONCL',
    'ref FAIL',
    'static FAIL',
    '+20 %: judge',
    'ref',
    'ref a*w',
    'static',
    'judge - ref',
    'judge - ref a*w',
  ];
  const rows: string[][] = [header];
  const healthyAll = tally();
  const target = tally();
  let worst = { gap: Number.POSITIVE_INFINITY, cell: '' };
  let worstFamily = { gap: Number.POSITIVE_INFINITY, cell: '' };
  for (const rps of RPS) {
    for (const weight of WEIGHTS) {
      for (const windowMinutes of WINDOWS) {
        const healthy = tally();
        const regressed = tally();
        for (let i = 0; i < CASES_PER_CELL; i++) {
          const service = randomService(rand);
          const ok = simulateStep(rand, service, { rps, weight, windowMinutes });
          count(healthy, judgeCanaryStep({ ...ok, config: spec }), compare(ok, spec, p50Decay));
          const bad = simulateStep(rand, service, { rps, weight, windowMinutes, latencyFactor: 1.2 });
          const verdict = judgeCanaryStep({ ...bad, config: spec });
          count(regressed, verdict, compare(bad, spec, p50Decay));
          if (rps >= 20 && weight === 0.2 && windowMinutes >= 10) count(target, verdict);
        }
        for (const key of Object.keys(healthy) as (keyof Tally)[]) healthyAll[key] += healthy[key];
        const cell = `${rps} rps, ${weight * 100} %, ${windowMinutes} min`;
        const gap = (100 * (regressed.judgeFail - regressed.referenceFail)) / CASES_PER_CELL;
        if (gap < worst.gap) worst = { gap, cell };
        const familyGap = (100 * (regressed.judgeFail - regressed.familyReferenceFail)) / CASES_PER_CELL;
        if (familyGap < worstFamily.gap) worstFamily = { gap: familyGap, cell };
        rows.push([
          String(rps),
          `${weight * 100} %`,
          `${windowMinutes} min`,
          pct(healthy.judgeFail, healthy.cases),
          pct(healthy.judgeInconclusive, healthy.cases),
          pct(healthy.referenceFail, healthy.cases),
          pct(healthy.staticFail, healthy.cases),
          pct(regressed.judgeFail, regressed.cases),
          pct(regressed.referenceFail, regressed.cases),
          pct(regressed.familyReferenceFail, regressed.cases),
          pct(regressed.staticFail, regressed.cases),
          gap.toFixed(1),
          familyGap.toFixed(1),
        ]);
      }
    }
  }
  const widths = header.map((_, c) => Math.max(...rows.map((r) => (r[c] as string).length)));
  for (const r of rows) console.log(r.map((cell, c) => cell.padStart(widths[c] as number)).join('  '));

  // The size of the p50 test: a canary exactly at the allowed decay (p50 x1.10) should fail at most
  // alpha of the time (its share under weighted Holm); healthy cases (x1.00) say far less about it.
  console.log(
    `\nat the margin (canary latency x${(1 + p50Decay).toFixed(2)}: p50 exactly at its allowed decay), ${CASES_PER_CELL} cases per rps and canary weight, 10 min windows; FAIL should stay near or below alpha:`,
  );
  for (const rps of RPS) {
    const margin = tally();
    for (const weight of WEIGHTS) {
      for (let i = 0; i < CASES_PER_CELL; i++) {
        const service = randomService(rand);
        const step = { rps, weight, windowMinutes: 10, latencyFactor: 1 + p50Decay };
        const series = simulateStep(rand, service, step);
        count(margin, judgeCanaryStep({ ...series, config: spec }), compare(series, spec, p50Decay));
      }
    }
    console.log(
      `  ${String(rps).padStart(3)} rps: judge FAIL ${pct(margin.judgeFail, margin.cases)} % (latencyP50 held to ${(spec.alpha * p50Share(spec)).toFixed(4)}), reference FAIL ${pct(margin.referenceFail, margin.cases)} % (alpha ${spec.alpha})`,
    );
  }

  // What the weights cost the guards: an error-rate regression of 3x the allowed decay, judged with the
  // defaults and with the same signals at equal shares of alpha (plain Holm).
  const errorDecay =
    spec.decay.errorRate && 'absolute' in spec.decay.errorRate ? spec.decay.errorRate.absolute : 0.005;
  const equal = parseCanarySpec({
    decay: Object.fromEntries(
      Object.entries(spec.decay).map(([signal, d]) => [
        signal,
        'absolute' in d ? { absolute: d.absolute } : { relative: d.relative },
      ]),
    ),
  });
  console.log(
    `\nerror-rate regression (+${(300 * errorDecay).toFixed(1)} pp, 3x the allowed decay), 20 % canary, 10 min, ${CASES_PER_CELL} cases per rps: caught by`,
  );
  for (const rps of RPS) {
    let byDefaults = 0;
    let byEqual = 0;
    for (let i = 0; i < CASES_PER_CELL; i++) {
      const service = randomService(rand);
      const step = { rps, weight: 0.2, windowMinutes: 10, addedErrorRate: 3 * errorDecay };
      const series = simulateStep(rand, service, step);
      if (judgeCanaryStep({ ...series, config: spec }).outcome === 'FAIL') byDefaults++;
      if (judgeCanaryStep({ ...series, config: equal }).outcome === 'FAIL') byEqual++;
    }
    console.log(
      `  ${String(rps).padStart(3)} rps: the defaults ${pct(byDefaults, CASES_PER_CELL)} %, equal shares of alpha ${pct(byEqual, CASES_PER_CELL)} %`,
    );
  }

  // Why the defaults leave p99 out: latencyP99 added (at the guards' share), healthy services whose
  // slow outliers are 0.3, 1 or 3 % of requests, 20 % canary, 10 min.
  const withP99 = parseCanarySpec({
    decay: { ...spec.decay, latencyP99: { relative: 0.2, weight: spec.decay.latencyP90?.weight ?? 1 } },
  });
  console.log(
    `\nlatencyP99 added (+20 % allowed, at latencyP90's weight), healthy, 20 % canary, 10 min, ${CASES_PER_CELL} cases each: p99 INCONCLUSIVE`,
  );
  for (const rps of [20, 100, 400]) {
    const shares = SPIKE_SHARES.map((spikeShare) => {
      let inconclusive = 0;
      for (let i = 0; i < CASES_PER_CELL; i++) {
        const service = { ...randomService(rand), spikeShare };
        const series = simulateStep(rand, service, { rps, weight: 0.2, windowMinutes: 10 });
        const p99 = judgeCanaryStep({ ...series, config: withP99 }).signals.find(
          (x) => x.signal === 'latencyP99',
        );
        if (p99?.outcome === 'INCONCLUSIVE') inconclusive++;
      }
      return `${pct(inconclusive, CASES_PER_CELL)} % with ${spikeShare * 100} % outliers`;
    });
    console.log(`  ${String(rps).padStart(3)} rps: ${shares.join(', ')}`);
  }

  console.log(
    "\nper request (the earlier bench's unit): n requests per slot in one 10 min window, 60 s periods",
  );
  for (const n of [20, 50, 1000]) {
    const healthy = tally();
    const regressed = tally();
    for (let i = 0; i < CASES_PER_CELL; i++) {
      const service = randomService(rand);
      // n canary requests at a 20 % canary: the window's rate is what brings n of them in 10 minutes.
      const step = { rps: n / (0.2 * 600), weight: 0.2, windowMinutes: 10 };
      const ok = simulateStep(rand, service, step);
      count(healthy, judgeCanaryStep({ ...ok, config: spec }), compare(ok, spec, p50Decay));
      const bad = simulateStep(rand, service, { ...step, latencyFactor: 1.2 });
      count(regressed, judgeCanaryStep({ ...bad, config: spec }), compare(bad, spec, p50Decay));
    }
    console.log(
      `  n = ${String(n).padStart(4)} canary requests: healthy judge FAIL ${pct(healthy.judgeFail, healthy.cases)} %, INCONCLUSIVE ${pct(healthy.judgeInconclusive, healthy.cases)} %; +20 % caught: judge ${pct(regressed.judgeFail, regressed.cases)} %, reference ${pct(regressed.referenceFail, regressed.cases)} % (at p50's share of alpha ${pct(regressed.familyReferenceFail, regressed.cases)} %), static ${pct(regressed.staticFail, regressed.cases)} %`,
    );
  }

  console.log('\nDone-when targets:');
  console.log(
    `  healthy FAIL overall: judge ${pct(healthyAll.judgeFail, healthyAll.cases)} % (target <= 1 %), reference ${pct(healthyAll.referenceFail, healthyAll.cases)} %, static ${pct(healthyAll.staticFail, healthyAll.cases)} %; judge INCONCLUSIVE ${pct(healthyAll.judgeInconclusive, healthyAll.cases)} %`,
  );
  console.log(
    `  +20 % p50 caught at >= 20 rps, 20 % canary, >= 10 min: ${pct(target.judgeFail, target.cases)} % of ${target.cases} (target >= 95 %)`,
  );
  console.log(
    `  worst cell, judge minus reference: ${worst.gap.toFixed(1)} points at ${worst.cell} (target >= -3); minus the reference at p50's share of alpha: ${worstFamily.gap.toFixed(1)} points at ${worstFamily.cell}`,
  );
  const cpu = process.cpuUsage(cpuStart);
  console.log(`CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`);
}
