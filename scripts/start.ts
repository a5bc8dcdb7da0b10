// `npm start`: the whole platform on this machine, playing the example service's story, then waiting
// for your own pushes (`vouch trigger`). `npm start -- --once` stops after the story.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { HistoryEntry } from '../lambdas/adapters/local/engine.ts';
import { LocalPlatform } from '../lambdas/adapters/local/platform/LocalPlatform.ts';
import { BuildDataLostError } from '../lambdas/core/builds/errors.ts';
import { progressPrinter } from './cli/progress.ts';
import { playStory } from './platform/story.ts';

const { values } = parseArgs({
  options: {
    once: { type: 'boolean', default: false },
    // Start a new build history when .vouch/data is lost (the old folder is kept aside, renamed).
    reset: { type: 'boolean', default: false },
    'time-scale': { type: 'string', default: process.env.VOUCH_TIME_SCALE ?? '20' },
    // Images the periodic sweeper keeps per service besides those serving (platform.sweeper.keepImages).
    'keep-images': { type: 'string', default: '3' },
  },
});
const timeScale = Number(values['time-scale']);
if (!(timeScale >= 1 && timeScale <= 120)) {
  console.error(`--time-scale must be a number from 1 to 120 (got ${values['time-scale']})`);
  process.exit(2);
}

// The AWS SDK warns that its 2027 releases will need Node 22; nothing here calls AWS, so that notice
// is noise in the story. Other warnings are printed as usual.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name !== 'NodeVersionSupportWarning') console.warn(`${warning.name}: ${warning.message}`);
});

const keepImages = Number(values['keep-images']);
if (!(Number.isInteger(keepImages) && keepImages >= 1)) {
  console.error(`--keep-images must be a whole number >= 1 (got ${values['keep-images']})`);
  process.exit(2);
}

const root = new URL('..', import.meta.url).pathname;
const out = (line: string) => console.log(line);
out(`Vouch: starting the local platform in ${join(process.cwd(), '.vouch')} (clock ${timeScale}x)`);
const platform = await LocalPlatform.start({
  cwd: process.cwd(),
  timeScale,
  out,
  resetBuildData: values.reset,
  sweeper: { keepImages },
}).catch((error: unknown) => {
  if (!(error instanceof BuildDataLostError)) throw error;
  console.error(`Vouch: ${error.message}`);
  process.exit(1);
});
let closing = false;
const shutdown = async (code: number) => {
  if (closing) return;
  closing = true;
  out('Vouch: stopping the local platform');
  await platform.close();
  process.exit(code);
};
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

out(`  build data: dynalite at ${platform.table.endpoint} (persisted under .vouch/data)`);
out(`  webhook:    ${platform.webhook?.url}`);
out(`  dashboard:  ${platform.api?.url}/   (also: npx vouch dashboard)`);
try {
  const releases = await playStory(platform, {
    exampleDir: join(root, 'examples', 'orders'),
    faultyDir: join(root, 'examples', 'orders-faulty'),
    out,
  });
  out('');
  out('== the story in one line each');
  for (const r of releases)
    out(
      `   ${r.label} (${r.commit.slice(0, 8)}): ${r.result.status}${r.result.error ? ` ${r.result.error}` : ''}`,
    );
} catch (error) {
  console.error('Vouch: the story could not be played:', error instanceof Error ? error.message : error);
  await shutdown(1);
}
if (values.once) await shutdown(0);
// Your own pushes show their steps as the story's did, each line prefixed with its run.
const printers = new Map<string, (entry: HistoryEntry) => void>();
platform.onProgress((execution, entry) => {
  let print = printers.get(execution);
  if (!print) {
    const run = platform.executions.get(execution);
    print = progressPrinter(out, `  ${run ? `${run.service}@${run.commit.slice(0, 8)}` : execution} `);
    printers.set(execution, print);
  }
  print(entry);
  if (entry.kind === 'finished') printers.delete(execution);
});
out('');
out('The platform keeps running. Push your own versions of the example service:');
out(`  cd ${join('.vouch', 'work', 'orders')}, edit, then: git commit -am "my change" && npx vouch trigger`);
out(
  '  npx vouch status orders    npx vouch history orders    npx vouch where orders    npx vouch cost --team checkout',
);
out(`  the dashboard: ${platform.api?.url}/`);
out('Ctrl-C stops it.');
