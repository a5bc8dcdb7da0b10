import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportCommit } from '../../../lambdas/adapters/local/gitExport.ts';
import { shellCommands } from '../../../lambdas/adapters/local/shellCommands.ts';
import { InvalidCommitError } from '../../../lambdas/core/builds/errors.ts';
import type { TaskInput } from '../../../lambdas/core/pipeline/contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'vouch-local-adapters-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
}
const repo = join(dir, 'repo');
execFileSync('git', ['init', '-q', repo]);
git('config', 'user.email', 'dev@example.com');
git('config', 'user.name', 'Dev');
writeFileSync(join(repo, 'server.mjs'), 'v1\n');
git('add', '.');
git('commit', '-q', '-m', 'v1');
const first = git('rev-parse', 'HEAD');
writeFileSync(join(repo, 'server.mjs'), 'v2\n');
git('commit', '-q', '-am', 'v2');

describe('exportCommit (the local bake source)', () => {
  it('exports the files of exactly that commit, once', () => {
    const out = exportCommit(join(dir, 'state'), repo, 'orders', first);
    expect(out).toBe(join(dir, 'state', 'src', 'orders', first));
    expect(readFileSync(join(out, 'server.mjs'), 'utf8')).toBe('v1\n');
    writeFileSync(join(out, 'marker'), 'kept');
    expect(exportCommit(join(dir, 'state'), repo, 'orders', first)).toBe(out);
    expect(readFileSync(join(out, 'marker'), 'utf8')).toBe('kept');
  });

  it('refuses anything but a full SHA before it names a path', () => {
    expect(() => exportCommit(join(dir, 'state'), repo, 'orders', '../../etc')).toThrow(InvalidCommitError);
    expect(() => exportCommit(join(dir, 'state'), repo, 'orders', first.slice(0, 7))).toThrow(
      InvalidCommitError,
    );
  });
});

describe('shellCommands (the local build and test commands)', () => {
  const input = { run: { commit: first } } as TaskInput;

  it('runs in the working copy with the task and commit set, keeping the output’s tail', async () => {
    const result = await shellCommands(repo).run('test', input, {
      command: 'cat server.mjs; echo "$VOUCH_TASK $VOUCH_COMMIT"; head -c 5000 /dev/zero | tr "\\0" x',
      timeoutSeconds: 10,
    });
    const output = (result as { output: string }).output;
    expect((result as { kind: string }).kind).toBe('test');
    expect(output).toHaveLength(4000);
    expect(output).toMatch(/^x+$/);
    const short = await shellCommands(repo).run('build', input, {
      command: 'cat server.mjs; echo "$VOUCH_TASK $VOUCH_COMMIT"',
      timeoutSeconds: 10,
    });
    expect((short as { output: string }).output).toBe(`v2\nbuild ${first}\n`);
  });

  it('fails the task when the command fails', async () => {
    await expect(
      shellCommands(repo).run('build', input, { command: 'exit 3', timeoutSeconds: 10 }),
    ).rejects.toThrow();
  });
});
