import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { SPEC_FILE } from '../../lambdas/core/spec/index.ts';

/**
 * The nearest `.vouch.yml` from `cwd` upwards: the service a command run anywhere in its working copy
 * (its root, or a folder below it) acts on.
 */
export function findServiceSpecFile(cwd: string): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    const candidate = join(dir, SPEC_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
