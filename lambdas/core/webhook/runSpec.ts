import { parseServiceSpec, runConfig } from '../spec/serviceSpec.ts';
import type { GitHost } from './executionName.ts';
import type { LoadSpec, RunSpec } from './types.ts';

/** Turns `.vouch.yml` text into what a run needs; throws (any error) when the file is not usable. */
export type ParseRunSpec = (text: string) => RunSpec;

/** The pipe compiler's `.vouch.yml` parser, reduced to the run's fields and config. */
export const parseRunSpec: ParseRunSpec = (text) => {
  const spec = parseServiceSpec(text);
  return {
    service: spec.service,
    team: spec.team,
    solution: spec.solution,
    pipe: spec.pipe,
    trunk: spec.trunk,
    config: runConfig(spec),
  };
};

/**
 * Builds a LoadSpec from a raw file reader (git host API or working copy) and a parser:
 * no file -> ignored; a parser error -> invalid (422, with the parser's message, which names line
 * and column); a reader error propagates (503, or 422 for an UnknownCommitError).
 */
export function specLoaderFrom(
  readSpecFile: (repo: string, commit: string, host: GitHost) => Promise<string | undefined>,
  parseSpec: ParseRunSpec = parseRunSpec,
): LoadSpec {
  return async (repo, commit, host) => {
    const text = await readSpecFile(repo, commit, host);
    if (text === undefined) return { found: false, reason: `${repo} has no .vouch.yml at ${commit}` };
    try {
      return { found: true, ...parseSpec(text) };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { found: false, invalid: true, reason: message.split('\n')[0] ?? message };
    }
  };
}
