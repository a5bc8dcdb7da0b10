// Issue 15 on the whole local platform (`npm start`'s LocalPlatform: dynalite, the local engine, the
// webhook on 127.0.0.1): a replayed body starts nothing (case 2), 50 concurrent deliveries of one push
// start one run, repository names match exactly (case 8), and a commit the working copy lacks is 422
// (case 7).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalPlatform } from '../../../lambdas/adapters/local/platform/LocalPlatform.ts';
import { parseServiceSpec } from '../../../lambdas/core/spec/serviceSpec.ts';
import { gitHubPushPayload, signedGitHubHeaders } from '../../../lambdas/core/webhook/gitHubPush.ts';

const SPEC_FILE = 'pipe: ci\nservice: orders\nteam: payments\nsolution: storefront\n';

let cwd: string;
let repoDir: string;
let platform: LocalPlatform;

function git(...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], {
    cwd: repoDir,
    encoding: 'utf8',
  }).trim();
}

function commit(message: string): { sha: string; parent: string } {
  git('commit', '-q', '--allow-empty', '-m', message);
  return { sha: git('rev-parse', 'HEAD'), parent: git('rev-parse', 'HEAD~1') };
}

/** A signed GitHub push of `repo`'s trunk at `sha`, fixed to the byte (the same body every call). */
function pushOf(repo: string, sha: string, parent: string): string {
  const payload = gitHubPushPayload({ repo, branch: 'main', commit: sha, before: parent });
  return JSON.stringify({
    ...payload,
    head_commit: { id: sha, message: 'm', timestamp: '2026-01-01T00:00:00Z' },
  });
}

async function deliver(body: string, deliveryId: string) {
  const url = platform.webhook?.url;
  if (url === undefined) throw new Error('the platform has no webhook');
  const response = await fetch(url, {
    method: 'POST',
    headers: await signedGitHubHeaders(platform.webhookSecret, body, deliveryId),
    body,
    signal: AbortSignal.timeout(30_000),
  });
  return {
    status: response.status,
    ...((await response.json()) as { outcome: string; reason: string; execution?: string }),
  };
}

beforeAll(async () => {
  cwd = mkdtempSync(join(tmpdir(), 'vouch-platform-webhook-'));
  repoDir = join(cwd, 'orders');
  mkdirSync(repoDir);
  git('init', '-q', '-b', 'main');
  git('remote', 'add', 'origin', 'git@github.com:acme/orders.git');
  writeFileSync(join(repoDir, '.vouch.yml'), SPEC_FILE);
  git('add', '.');
  git('commit', '-q', '-m', 'first');
  platform = await LocalPlatform.start({ cwd, persist: false, out: () => undefined });
  await platform.registerService(
    parseServiceSpec(readFileSync(join(repoDir, '.vouch.yml'), 'utf8')),
    repoDir,
  );
}, 120_000);

afterAll(async () => {
  // Bounded: the runs these pushes started are waited for, then the platform is closed.
  await Promise.race([
    Promise.allSettled([...platform.executions.values()].map((e) => e.done)),
    new Promise((resolve) => setTimeout(resolve, 60_000)),
  ]);
  await platform?.close();
  rmSync(cwd, { recursive: true, force: true });
}, 120_000);

describe('webhook on the local platform', () => {
  it('case 2: the same body under a new delivery id starts no second run and names the first', async () => {
    const { sha, parent } = commit('replayed');
    const body = pushOf('acme/orders', sha, parent);
    const before = platform.executions.size;

    const first = await deliver(body, 'local-delivery-1');
    const replay = await deliver(body, 'local-delivery-2');

    expect(first).toMatchObject({ status: 201, execution: 'gh-local-delivery-1' });
    expect(replay).toMatchObject({ status: 200, outcome: 'existing', execution: 'gh-local-delivery-1' });
    expect(platform.executions.size - before).toBe(1);
  });

  it('50 concurrent deliveries of one push under 50 delivery ids start exactly one run', async () => {
    const { sha, parent } = commit('fifty');
    const body = pushOf('acme/orders', sha, parent);
    const before = new Set(platform.executions.keys());

    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => deliver(body, `local-50-${i}`)));

    const runs = [...platform.executions.values()].filter((e) => !before.has(e.name));
    expect(runs.map((r) => r.commit)).toEqual([sha]);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200 && a.outcome === 'existing')).toHaveLength(49);
    expect(new Set(answers.map((a) => a.execution))).toEqual(new Set([runs[0]?.name]));
  }, 60_000);

  it('case 8: matches owner/name exactly: another owner\'s "orders" starts nothing', async () => {
    const { sha, parent } = commit('foreign');
    const before = platform.executions.size;

    const foreign = await deliver(pushOf('mallory/orders', sha, parent), 'local-foreign-1');

    expect(foreign).toMatchObject({ status: 200, outcome: 'ignored' });
    expect(foreign.reason).toBe('mallory/orders is not a registered service repo');
    expect(platform.executions.size).toBe(before);
  });

  it("case 7: a commit the working copy lacks is the client's error (422), not ours (503)", async () => {
    const missing = 'f'.repeat(40);

    const answer = await deliver(pushOf('acme/orders', missing, git('rev-parse', 'HEAD')), 'local-missing-1');

    expect(answer.status).toBe(422);
    expect(answer.reason).toContain(`commit ${missing} is not in the working copy`);
  });
});
