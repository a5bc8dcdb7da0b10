// `vouch` start: what a process loads before its command runs. Each figure is the median of
// VOUCH_BENCH_RUNS (default 3) fresh `node --import tsx` processes, timed inside the process around
// `import()` (tsx's transform cache warm, as on a developer's machine after the first run): the command
// table (scripts/vouch.ts, all that `vouch --help` loads), each command module (loaded when its command
// runs), and every command module at once (what each process loaded before the table loaded them lazily).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BenchmarkError } from './errors.ts';

const RUNS = Number(process.env.VOUCH_BENCH_RUNS ?? 3);
const MODULES = ['pipe', 'show', 'trigger', 'control', 'builds', 'cost', 'judge', 'dashboard'];
const ROOT = new URL('../../', import.meta.url);
const url = (path: string) => new URL(path, ROOT).href;

/** Milliseconds to import `specifiers` one after another in a fresh node process, measured inside it. */
function importMs(specifiers: string[]): number {
  const script = `const t = performance.now(); for (const s of ${JSON.stringify(specifiers)}) await import(s); process.stdout.write(String(performance.now() - t));`;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: fileURLToPath(ROOT),
    env: { ...process.env, NODE_OPTIONS: '' },
    encoding: 'utf8',
  });
  const ms = Number(result.stdout);
  if (result.status !== 0 || !Number.isFinite(ms)) {
    throw new BenchmarkError(`import of ${specifiers.join(', ')} failed: ${result.stderr.split('\n')[0]}`);
  }
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

const measure = (specifiers: string[]) => median(Array.from({ length: RUNS }, () => importMs(specifiers)));

export async function run(): Promise<void> {
  console.log(`${RUNS} imports per line, median; each in a fresh node ${process.version} process`);
  const table = measure([url('scripts/vouch.ts')]);
  console.log(`${'command table (vouch --help)'.padEnd(34)} ${table.toFixed(0).padStart(6)} ms`);
  for (const name of MODULES) {
    const ms = measure([url(`scripts/cli/${name}.ts`)]);
    console.log(`${`scripts/cli/${name}.ts, when run`.padEnd(34)} ${ms.toFixed(0).padStart(6)} ms`);
  }
  const all = measure(MODULES.map((name) => url(`scripts/cli/${name}.ts`)));
  console.log(`${'every command module at once'.padEnd(34)} ${all.toFixed(0).padStart(6)} ms`);
  console.log(`command table / every module: ${(table / all).toFixed(2)}`);
}
