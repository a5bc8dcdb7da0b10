import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The nearest `.vouch/platform.json` from `cwd` upwards: how `vouch trigger` and the control
 * commands find a running local platform, also from a service's working copy under `.vouch/work`.
 */
export function findPlatformFile(cwd: string): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    const candidate = join(dir, '.vouch', 'platform.json');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
