// A service's .vouch.yml as the commands that act on it read it (validate, run, show).
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parseServiceSpec, type ServiceSpec, SpecError } from '../../lambdas/core/spec/index.ts';
import type { CliContext } from './types.ts';

/** Reads and validates the spec; prints located problems (no stack trace) and returns undefined on error. */
export function readSpec(file: string, ctx: CliContext): ServiceSpec | undefined {
  const shown = relative(ctx.cwd, file) || file;
  if (!existsSync(file)) {
    ctx.err(`${shown}: not found`);
    return undefined;
  }
  try {
    return parseServiceSpec(readFileSync(file, 'utf8'), shown);
  } catch (e) {
    if (e instanceof SpecError) {
      for (const line of e.message.split('\n')) ctx.err(line);
      ctx.err(`${e.problems.length} problem${e.problems.length === 1 ? '' : 's'} in ${shown}`);
      return undefined;
    }
    throw e;
  }
}
