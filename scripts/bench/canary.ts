// Canary judge vs a plain static-threshold check on generated baseline/canary pairs (seeded, reproducible).
// `npx tsx scripts/bench/index.ts canary`
import {
  type CanarySideSamples,
  checkStaticThresholds,
  judgeCanaryStep,
} from '../../lambdas/core/canary/judge.ts';
import { parseCanarySpec } from '../../lambdas/core/canary/spec.ts';
import { seededRandom as prng } from '../../lambdas/core/shared/random.ts';

function normal(rand: () => number): number {
  // Box-Muller
  const u = 1 - rand();
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

interface Service {
  readonly mu: number; // log of median latency, ms
  readonly sigma: number;
  readonly errorRate: number;
}

function randomService(rand: () => number): Service {
  return {
    mu: Math.log(20 + rand() * 180), // median 20-200 ms
    sigma: 0.3 + rand() * 0.4,
    errorRate: 0.005 + rand() * 0.015, // 0.5-2 %
  };
}

/** Requests of one side: log-normal latency with a 2 % slow tail (GC, cold caches), Bernoulli errors. */
function side(
  rand: () => number,
  s: Service,
  n: number,
  latencyFactor: number,
  errorFactor: number,
  errorPoints = 0,
): CanarySideSamples {
  const latencyMs: number[] = new Array(n);
  let failed = 0;
  for (let i = 0; i < n; i++) {
    let l = Math.exp(s.mu + s.sigma * normal(rand));
    if (rand() < 0.02) l *= 2 + 3 * rand();
    latencyMs[i] = Math.round(l * latencyFactor * 10) / 10; // 0.1 ms resolution, so ties occur as in real data
    if (rand() < s.errorRate * errorFactor + errorPoints) failed++;
  }
  // Request order means nothing to either check; sorting once here spares both of them a full sort.
  latencyMs.sort((x, y) => x - y);
  return { latencyMs, errors: { requests: n, failed } };
}

const HEALTHY_PAIRS = 1000; // false failures are rare: more pairs for a tighter estimate
const PAIRS_PER_ROW = 500;
const CANARY_REQUESTS = 1000;
const BASELINE_REQUESTS = 4000;
const SIZES = [0.05, 0.1, 0.2, 0.5];

export async function run(): Promise<void> {
  const spec = parseCanarySpec({});
  const rand = prng(20240605);
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)} %`;
  const cpuStart = process.cpuUsage();

  const rate = (latencyFactor: number, errorFactor: number, pairs = PAIRS_PER_ROW, errorPoints = 0) => {
    let judgeFails = 0;
    let staticFails = 0;
    let inconclusive = 0;
    for (let i = 0; i < pairs; i++) {
      const s = randomService(rand);
      const input = {
        baseline: side(rand, s, BASELINE_REQUESTS, 1, 1),
        canary: side(rand, s, CANARY_REQUESTS, latencyFactor, errorFactor, errorPoints),
        config: spec,
      };
      const verdict = judgeCanaryStep(input);
      if (verdict.outcome === 'FAIL') judgeFails++;
      if (verdict.outcome === 'INCONCLUSIVE') inconclusive++;
      if (checkStaticThresholds(input).outcome === 'FAIL') staticFails++;
    }
    return { judge: judgeFails / pairs, static: staticFails / pairs, inconclusive };
  };

  console.log(
    `pairs: ${HEALTHY_PAIRS} healthy, ${PAIRS_PER_ROW} per regression row; requests per pair: canary ${CANARY_REQUESTS}, baseline ${BASELINE_REQUESTS}`,
  );
  console.log('latency log-normal, median 20-200 ms, sigma 0.3-0.7, 2 % slow tail x2-5; error rate 0.5-2 %');
  console.log(
    `judge config: alpha ${spec.alpha} (family-wise, Bonferroni over the step's tests), minEffectSize ${spec.minEffectSize}, decay ${JSON.stringify(spec.decay)}, minSamples ${JSON.stringify(spec.minSamples)}`,
  );
  console.log('static check: canary point estimate > baseline point estimate + the same allowed decay\n');
  const rows: string[][] = [['pairs', 'regression', 'judge FAIL', 'static FAIL']];
  const healthy = rate(1, 1, HEALTHY_PAIRS);
  rows.push(['healthy', 'none (false failures)', pct(healthy.judge), pct(healthy.static)]);
  let pairs = HEALTHY_PAIRS;
  for (const x of SIZES) {
    const r = rate(1 + x, 1);
    pairs += PAIRS_PER_ROW;
    rows.push(['latency', `+${x * 100} % (detection)`, pct(r.judge), pct(r.static)]);
  }
  for (const x of SIZES) {
    const r = rate(1, 1 + x);
    pairs += PAIRS_PER_ROW;
    rows.push(['errorRate', `x${1 + x} (detection)`, pct(r.judge), pct(r.static)]);
  }
  for (const points of [0.01, 0.02]) {
    const r = rate(1, 1, PAIRS_PER_ROW, points);
    pairs += PAIRS_PER_ROW;
    rows.push(['errorRate', `+${points * 100} pp (detection)`, pct(r.judge), pct(r.static)]);
  }
  const widths = (rows[0] as string[]).map((_, c) => Math.max(...rows.map((r) => (r[c] as string).length)));
  for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c] as number)).join('  '));
  console.log(
    '\nnotes: the allowed decay is part of the spec, so a regression at or below it (latency +5/10 % vs',
  );
  console.log(
    '+10 %; error rate x1.05-x1.5 = +0.03..1 pp vs +0.5 pp) SHOULD pass: the judge tests against that margin.',
  );
  console.log('target row: latency +20 %, >= 95 % detection with <= 1 % false failures on healthy pairs.');
  const cpu = process.cpuUsage(cpuStart);
  console.log(
    `${pairs} pairs; CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s (generation + judge + static check)`,
  );
}
