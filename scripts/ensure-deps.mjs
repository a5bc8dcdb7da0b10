#!/usr/bin/env node
// Runs before `npm start` and `npm test` (npm's pre-scripts): on a fresh clone it installs exactly the
// versions the lockfile records, so the README's two commands work as they are. `npm ci`, never
// `npm install`: it installs from the lockfile without rewriting it, so running the project leaves the
// clone clean. Plain JS: no dependency needed.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const installed = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
const stale = !existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs;
if (stale) {
  console.log('vouch: installing the locked dependencies (npm ci) ...');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
}
