import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { SPEC_FILE } from '../../lambdas/core/spec/names.ts';

/** The nearest ancestor of `cwd` (itself included) for which `holds(dir)` is true. */
function findUp(cwd: string, holds: (dir: string) => boolean): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    if (holds(dir)) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * The nearest `.vouch/platform.json` from `cwd` upwards: how `vouch trigger` and the control
 * commands find a running local platform, also from a service's working copy under `.vouch/work`.
 */
export function findPlatformFile(cwd: string): string | undefined {
  const dir = findUp(cwd, (d) => existsSync(join(d, '.vouch', 'platform.json')));
  return dir ? join(dir, '.vouch', 'platform.json') : undefined;
}

/**
 * The folder whose `.vouch/` holds the local platform's state (build data, resource journal): the
 * nearest one from `cwd` upwards, so the data commands read the platform's store from a service's
 * working copy under `.vouch/work/<service>` too. `VOUCH_HOME` names it explicitly.
 */
export function findPlatformDir(cwd: string, env: NodeJS.ProcessEnv = {}): string | undefined {
  if (env.VOUCH_HOME) return resolve(cwd, env.VOUCH_HOME);
  return findUp(
    cwd,
    (d) => existsSync(join(d, '.vouch', 'platform.json')) || existsSync(join(d, '.vouch', 'data')),
  );
}

export const NO_PLATFORM_HERE = (cwd: string) =>
  `no Vouch platform data in ${cwd} or any folder above it: run this where \`npm start\` runs (the Vouch clone), in a service working copy under its .vouch/work/, or set VOUCH_HOME to that folder`;

/** The service working copy `cwd` is in: the nearest folder from `cwd` upwards holding `.vouch.yml`. */
export function findServiceDir(cwd: string): string | undefined {
  return findUp(cwd, (d) => existsSync(join(d, SPEC_FILE)));
}

/** The local platform whose `.vouch/platform.json` is under `home`, when its process is alive. */
export function runningPlatform(home: string): { pid: number; apiUrl?: string } | undefined {
  const file = join(home, '.vouch', 'platform.json');
  if (!existsSync(file)) return undefined;
  let info: { pid?: unknown; apiUrl?: string };
  try {
    info = JSON.parse(readFileSync(file, 'utf8')) as typeof info;
  } catch {
    return undefined;
  }
  if (typeof info.pid !== 'number' || info.pid === process.pid) return undefined;
  try {
    process.kill(info.pid, 0); // signal 0: only asks whether the process exists
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  return { pid: info.pid, ...(info.apiUrl ? { apiUrl: info.apiUrl } : {}) };
}

/**
 * The .vouch.yml a command's argument names: a file as given, a folder's own .vouch.yml; without an
 * argument, the service working copy the command was typed in (walking up), else `cwd`'s.
 */
export function specFileArgument(cwd: string, given: string | undefined, specFile = SPEC_FILE): string {
  if (given === undefined) return resolve(findServiceDir(cwd) ?? cwd, specFile);
  const path = resolve(cwd, given);
  return existsSync(path) && statSync(path).isDirectory() ? join(path, specFile) : path;
}
