import { execFile } from 'node:child_process';
import { basename } from 'node:path';
import { promisify } from 'node:util';
import { SpecReadError, UnknownCommitError } from '../../core/webhook/errors.ts';
import { COMMIT_SHA, REPO_NAME } from '../../core/webhook/pushEvent.ts';
import { type ParseRunSpec, parseRunSpec, specLoaderFrom } from '../../core/webhook/runSpec.ts';
import type { LoadSpec } from '../../core/webhook/types.ts';

const run = promisify(execFile);

/** git, without a shell, bounded in time and output, in `dir`. */
async function git(dir: string, args: readonly string[]): Promise<string> {
  const { stdout } = await run('git', [...args], {
    cwd: dir,
    timeout: 10_000,
    maxBuffer: 4 * 1024 * 1024,
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
  });
  return stdout;
}

/**
 * `.vouch.yml` (or `path`) as committed at `commit`, or undefined when that commit has no such file.
 * The commit must be a full hex SHA, so a pushed value can never be read as a git option.
 * Throws UnknownCommitError (422) when the working copy has no such commit: the push named a commit
 * this repository does not have (a wrong repository, or a commit not committed here), which is the
 * sender's error. Throws SpecReadError (503) when git itself fails.
 */
export async function readFileAtCommit(
  dir: string,
  commit: string,
  path = '.vouch.yml',
): Promise<string | undefined> {
  if (!COMMIT_SHA.test(commit)) throw new SpecReadError(`not a full commit SHA: ${commit.slice(0, 80)}`);
  try {
    await git(dir, ['rev-parse', '--git-dir']);
  } catch (error) {
    throw new SpecReadError(`${dir} is not a readable git working copy`, { cause: error });
  }
  try {
    await git(dir, ['cat-file', '-e', `${commit}^{commit}`]);
  } catch (error) {
    throw new UnknownCommitError(`commit ${commit} is not in the working copy ${dir}`, { cause: error });
  }
  try {
    // ls-tree answers "absent" with empty output, unlike `git show`, whose failure we could not tell apart.
    const listed = await git(dir, ['ls-tree', '--name-only', commit, '--', path]);
    if (listed.trim() === '') return undefined;
    return await git(dir, ['show', `${commit}:${path}`]);
  } catch (error) {
    throw new SpecReadError(`could not read ${path} at ${commit} in ${dir}`, { cause: error });
  }
}

export interface HeadCommit {
  readonly sha: string;
  /** Undefined on a detached HEAD. */
  readonly branch: string | undefined;
  /** HEAD's first parent, undefined for a root commit. */
  readonly parent: string | undefined;
  readonly subject: string;
}

/** The current commit of the working copy at `dir`. */
export async function headCommit(dir: string): Promise<HeadCommit> {
  const sha = (await git(dir, ['rev-parse', '--verify', 'HEAD'])).trim();
  const branch = await git(dir, ['symbolic-ref', '--quiet', '--short', 'HEAD']).then(
    (out) => out.trim() || undefined,
    () => undefined,
  );
  const parent = await git(dir, ['rev-parse', '--verify', '--quiet', 'HEAD^1']).then(
    (out) => out.trim() || undefined,
    () => undefined,
  );
  const subject = (await git(dir, ['log', '-1', '--format=%s', 'HEAD'])).trim();
  return { sha, branch, parent, subject };
}

/** The repository's top-level directory, from any directory inside it. */
export async function workingCopyRoot(dir: string): Promise<string> {
  return (await git(dir, ['rev-parse', '--show-toplevel'])).trim();
}

/**
 * owner/name as the git host would call it: from the `origin` remote URL when there is one
 * (https://github.com/acme/shop.git, git@github.com:acme/shop.git), else `local/<directory name>`.
 */
export async function repoName(dir: string): Promise<string> {
  const url = await git(dir, ['config', '--get', 'remote.origin.url']).then(
    (out) => out.trim(),
    () => '',
  );
  const fromUrl = repoPathOfRemote(url);
  if (fromUrl !== undefined) return fromUrl;
  const root = await workingCopyRoot(dir);
  return `local/${basename(root).replace(/[^A-Za-z0-9_.-]/g, '-')}`;
}

/** owner/name from a remote URL (https://host/owner/name.git or git@host:owner/name.git). */
export function repoPathOfRemote(url: string): string | undefined {
  let path: string | undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    try {
      const parsed = new URL(url);
      path = parsed.protocol === 'file:' ? undefined : parsed.pathname;
    } catch {
      path = undefined;
    }
  } else {
    path = /^[^@\s/]+@[^:\s]+:(.+)$/.exec(url)?.[1];
  }
  if (path === undefined) return undefined;
  const name = path.replace(/^\/+|\/+$/g, '').replace(/\.git$/, '');
  return REPO_NAME.test(name) ? name : undefined;
}

/**
 * A LoadSpec for the local platform: `resolveWorkingCopy` maps a pushed repo name to the directory
 * of its working copy, by exact owner/name (undefined: not a repo registered here, ignored with 200 as
 * on AWS).
 */
export function workingCopySpecLoader(
  resolveWorkingCopy: (repo: string) => string | undefined,
  parseSpec: ParseRunSpec = parseRunSpec,
): LoadSpec {
  const load = specLoaderFrom(async (repo, commit) => {
    const dir = resolveWorkingCopy(repo);
    return dir === undefined ? undefined : readFileAtCommit(dir, commit);
  }, parseSpec);
  return async (repo, commit, host) =>
    resolveWorkingCopy(repo) === undefined
      ? { found: false, reason: `${repo} is not a registered service repo` }
      : load(repo, commit, host);
}
