import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../scripts/vouch.ts';

/** `vouch run` without --mock: the repository's pipe on a local platform started for the run. */
const root = new URL('../../../', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'vouch-run-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const done = main(argv, { cwd: work, env: {}, out: (l) => out.push(l), err: (l) => err.push(l) });
  return done.then((code) => ({ code, out: out.join('\n'), err: err.join('\n') }));
}

describe('vouch run', () => {
  it('runs the pipe of a git working copy up to a task here: version, bake, test environment, cleanup', async () => {
    // Prepare: the example service as a repository with one commit.
    const repo = join(work, 'orders');
    cpSync(join(root, 'examples', 'orders'), repo, { recursive: true });
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
        cwd: repo,
        stdio: 'pipe',
      });
    git('init', '--quiet', '--initial-branch', 'main');
    git('add', '--all');
    git('commit', '--quiet', '-m', 'first');
    // Act
    const result = await cli(['run', '--run-to', 'deploy-test', 'orders']);
    // Assess
    expect(result.err).toBe('');
    expect(result.code, result.out).toBe(0);
    for (const task of ['version', 'bake', 'provision-test', 'deploy-test', 'destroy-test', 'report']) {
      expect(result.out).toMatch(new RegExp(`✓ ${task}\\b`));
    }
    expect(result.out).not.toMatch(/verify-test/);
    expect(result.out).toMatch(/■ SUCCEEDED/);
    // The build data repository kept the run: version 1 of orders.
    const history = await cli(['history', 'orders']);
    expect(history.code).toBe(0);
    expect(history.out).toMatch(/^v1\s+SUCCEEDED\s+[0-9a-f]{12}/m);
  }, 120_000);

  it('refuses a directory that is not a git repository, with the reason', async () => {
    const dir = join(work, 'loose');
    cpSync(join(root, 'examples', 'orders'), dir, { recursive: true });
    const result = await cli(['run', 'loose']).catch((e: Error) => ({ code: -1, out: '', err: e.message }));
    expect(result.err).toMatch(/not a git repository/);
    expect(existsSync(join(dir, '.vouch'))).toBe(false);
  });

  it('skips a directory without .vouch.yml with a one-line reason', async () => {
    const result = await cli(['run', '.']);
    expect(result.code).toBe(0);
    expect(result.out).toBe('skipped: no .vouch.yml in ., so it is not a Vouch service');
  });
});
