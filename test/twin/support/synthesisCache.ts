/**
 * The twin tests' synthesized stacks, shared by the test files of a pass. Vitest runs each file in a
 * module graph of its own, so a module-level promise synthesizes once per file: 12 to 30 s of CPU in
 * each of the 16 twin files, three of them at once on two cores when the pass starts. Here the first
 * file to ask synthesizes and writes the JSON under the temporary directory; the others wait for it
 * and read it. In `npm test` that is the pass's own folder (test/globalSetup.ts), removed when the
 * pass ends.
 *
 * The key is a hash of everything the synthesis reads: the platform config, every file under lib/ and
 * lambdas/ (the app, the flavours, the buildspec, the handlers' metadata) and package-lock.json (the CDK
 * version). A change to any of them is a new key: a test never runs on the templates of older code.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { wallSleep } from '../../../lambdas/twin/clock.ts';
import { TWIN_ROOT } from '../../../lambdas/twin/TwinPlatform.ts';
import { type SynthesizedStack, synthesizeVouchApp } from '../../../lambdas/twin/template.ts';

const CACHE_DIR = join(tmpdir(), 'vouch-twin-synthesis');
/** A lock older than this was left by a process that died mid-synthesis (one takes under a minute). */
const STALE_LOCK_MS = 5 * 60_000;
/** Entries older than this are removed when a new one is written (code changed since: a new key). */
const UNUSED_ENTRY_MS = 24 * 3600_000;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : [],
  );
}

/** The hash of what a synthesis of `configFile` reads (see the file's comment). */
export function synthesisKey(configFile: string): string {
  const hash = createHash('sha256');
  hash.update(readFileSync(configFile));
  const files = ['lib', 'lambdas'].flatMap((d) => filesUnder(join(TWIN_ROOT, d)));
  for (const file of [...files, join(TWIN_ROOT, 'package-lock.json')].sort()) {
    hash.update(`\0${relative(TWIN_ROOT, file)}\0`);
    hash.update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 40);
}

function removeUnused(): void {
  for (const name of readdirSync(CACHE_DIR)) {
    const path = join(CACHE_DIR, name);
    if (name.endsWith('.json') && Date.now() - statSync(path).mtimeMs > UNUSED_ENTRY_MS) rmSync(path);
  }
}

/** `synthesizeVouchApp(configFile)`, synthesized once for every test file asking with the same inputs. */
export async function cachedSynthesis(configFile: string): Promise<SynthesizedStack[]> {
  mkdirSync(CACHE_DIR, { recursive: true });
  const key = synthesisKey(configFile);
  const entry = join(CACHE_DIR, `${key}.json`);
  const lock = join(CACHE_DIR, `${key}.lock`);
  for (;;) {
    if (existsSync(entry)) return JSON.parse(readFileSync(entry, 'utf8')) as SynthesizedStack[];
    try {
      mkdirSync(lock);
    } catch {
      // Another file is synthesizing: wait for its entry (or take over a lock its process left).
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS)
        rmSync(lock, { recursive: true, force: true });
      await wallSleep(250);
      continue;
    }
    try {
      const stacks = await synthesizeVouchApp(configFile);
      const partial = `${entry}.${process.pid}.partial`;
      writeFileSync(partial, JSON.stringify(stacks));
      renameSync(partial, entry);
      removeUnused();
      return stacks;
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}
