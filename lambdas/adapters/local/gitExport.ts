/**
 * The bake source on one machine: the files of a commit, exported once to
 * `<stateDir>/src/<service>/<commit>`, so an image is exactly what was pushed (a retried bake reuses
 * the export). On AWS the source is the build task's artifact (adapters/aws/pipeline/artifactSource.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidCommitError } from '../../core/builds/errors.ts';

const FULL_SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

export function exportCommit(stateDir: string, repoDir: string, service: string, commit: string): string {
  // The version task has already refused anything but a full SHA; a path must never say otherwise.
  if (!FULL_SHA.test(commit)) throw new InvalidCommitError(service, commit);
  const dir = join(stateDir, 'src', service, commit);
  if (existsSync(dir)) return dir;
  // Extracted beside it, then renamed: an export cut short is never mistaken for a complete one.
  const partial = `${dir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  // Synchronous on purpose: bake reads the folder right after; git archive is fast for a service repo.
  const tar = execFileSync('git', ['archive', '--format=tar', commit], {
    cwd: repoDir,
    maxBuffer: 256 * 1024 * 1024,
  });
  execFileSync('tar', ['-x', '-C', partial], { input: tar });
  renameSync(partial, dir);
  return dir;
}
