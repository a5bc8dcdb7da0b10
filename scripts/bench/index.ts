// `npm run bench`: runs every benchmark in this folder (or the ones named on the command line) in one run.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '../../lambdas/adapters/local/polyfills.ts';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'index.ts' && f !== 'errors.ts')
  .map((f) => f.replace(/\.ts$/, ''))
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort();

for (const name of benches) {
  console.log(`\n=== bench: ${name} ===`);
  const mod = (await import(join(here, `${name}.ts`))) as { run: () => Promise<void> };
  await mod.run();
}
