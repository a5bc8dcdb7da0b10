// The dashboard's page reads at 1,000 and at 100,000 stored builds of a service: each read is one
// request by key (a Query, or a GetItem), so the slowest should not grow with history.

import { localSource } from '../../lambdas/adapters/dashboard/localSource.ts';
import { startDashboardServer } from '../../lambdas/adapters/dashboard/server.ts';
import { BuildRepository } from '../../lambdas/adapters/dynamo/buildRepository.ts';
import { startLocalTable } from '../../lambdas/adapters/local/dynalite.ts';
import { seed } from './builds.ts';
import { BenchmarkError } from './errors.ts';

const SIZES = (process.env.VOUCH_BENCH_BUILDS ?? '1000,100000').split(',').map(Number);
const WARMUP = 10;
const SAMPLES = 100;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export async function run(): Promise<void> {
  const table = await startLocalTable(); // in memory
  const repo = new BuildRepository({ client: table.client, tableName: table.tableName });
  const server = await startDashboardServer(localSource({ table, stateDir: '/nonexistent-vouch-bench' }));
  try {
    for (const size of SIZES) {
      const service = `bench-${size}`;
      const seededAt = performance.now();
      // History written raw (fast), then the service, its newest build's timeline and a promotion
      // through BuildRepository, as a pipeline writes them.
      await seed(table.endpoint, table.tableName, service, size);
      await repo.registerService({ service, team: 'bench', solution: 'bench', repo: `/repos/${service}` });
      const at = (s: number) => new Date(Date.parse('2031-01-01T00:00:00Z') + s * 1000).toISOString();
      const base = { execution: `${service}-${size}`, service, version: size };
      for (let i = 0; i < 20; i++) {
        await repo.recordTaskEvent({
          ...base,
          task: `task-${i}`,
          type: 'bots',
          phase: 'start',
          at: at(2 * i),
        });
        await repo.recordTaskEvent({
          ...base,
          task: `task-${i}`,
          type: 'bots',
          phase: 'done',
          outcome: 'SUCCEEDED',
          at: at(2 * i + 1),
        });
      }
      await repo.recordPromotion({
        ...base,
        environment: 'qa',
        kind: 'PROMOTED',
        evidence: null,
        at: at(60),
      });
      console.log(
        `seeded ${size.toLocaleString('en')} builds in ${((performance.now() - seededAt) / 1000).toFixed(1)} s`,
      );
    }
    const reads = (size: number) => {
      const s = `api/dashboard/services/bench-${size}`;
      return {
        services: 'api/dashboard/services',
        where: `${s}/where`,
        executions: `${s}/builds`,
        execution: `${s}/builds/${size}`,
        timeline: `${s}/builds/${size}/events`,
        window: `${s}/windows/qa`,
      };
    };
    const names = Object.keys(reads(0)) as (keyof ReturnType<typeof reads>)[];
    const latencies = new Map<string, number[]>();
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      // Sizes and reads alternate, so machine noise hits both sizes alike.
      for (const size of SIZES) {
        for (const name of names) {
          const t0 = performance.now();
          const response = await fetch(new URL(reads(size)[name], server.url));
          await response.arrayBuffer();
          const elapsed = performance.now() - t0;
          if (response.status !== 200)
            throw new BenchmarkError(`${name} of bench-${size}: HTTP ${response.status}`);
          if (i >= WARMUP)
            latencies.set(`${size}:${name}`, [...(latencies.get(`${size}:${name}`) ?? []), elapsed]);
        }
      }
    }
    const slowest = new Map<number, { name: string; median: number; p95: number }>();
    for (const size of SIZES) {
      const row: string[] = [];
      for (const name of names) {
        const sorted = (latencies.get(`${size}:${name}`) ?? []).sort((a, b) => a - b);
        const median = percentile(sorted, 50);
        const p95 = percentile(sorted, 95);
        row.push(`${name} ${median.toFixed(2)}/${p95.toFixed(2)}`);
        if (median > (slowest.get(size)?.median ?? -1)) slowest.set(size, { name, median, p95 });
      }
      console.log(`${size.toLocaleString('en')} builds, median/p95 ms: ${row.join(', ')}`);
    }
    const [small, large] = SIZES.map((size) => ({
      size,
      ...(slowest.get(size) ?? { name: '', median: 0, p95: 0 }),
    }));
    if (small && large) {
      console.log(
        `slowest page read: ${small.name} at ${small.size.toLocaleString('en')} builds (median ${small.median.toFixed(2)} ms), ` +
          `${large.name} at ${large.size.toLocaleString('en')} (median ${large.median.toFixed(2)} ms): ` +
          `ratio ${(large.median / small.median).toFixed(2)} (p95 ${(large.p95 / small.p95).toFixed(2)})`,
      );
    }
    console.log(
      `measured: each dashboard API read over HTTP (the page's requests) through the dashboard server to in-memory dynalite in this process, ${SAMPLES} rounds after ${WARMUP} warm-up, sizes and reads alternating; compare the ratio, not the absolute figures`,
    );
  } finally {
    await server.close();
    await table.close();
  }
}
