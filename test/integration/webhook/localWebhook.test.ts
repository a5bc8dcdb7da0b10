import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  headCommit,
  readFileAtCommit,
  repoName,
  repoPathOfRemote,
  workingCopySpecLoader,
} from '../../../lambdas/adapters/local/gitWorkingCopy.ts';
import {
  createLocalWebhookServer,
  type LocalWebhookServer,
} from '../../../lambdas/adapters/local/webhookServer.ts';
import { createMemoryDeliveryLedger } from '../../../lambdas/core/webhook/deliveryLedger.ts';
import { SpecReadError, UnknownCommitError } from '../../../lambdas/core/webhook/errors.ts';
import { createTriggerCommand } from '../../../scripts/cli/trigger.ts';
import { countingStarter, pushBody, recordingLogger, signedPush } from '../../unit/webhook/fixtures.ts';

const SECRET = 'local-platform-secret';
const SPEC_FILE = 'pipe: ci\nservice: shop\nteam: payments\nsolution: storefront\n';

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], {
    cwd: dir,
    encoding: 'utf8',
  }).trim();
}

function makeRepo(root: string, name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  mkdirSync(dir);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'remote', 'add', 'origin', `git@github.com:acme/${name}.git`);
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'first');
  return dir;
}

/** A raw HTTP exchange, so the test controls Content-Length and streaming. */
function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; chunks?: Buffer[] },
): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request(url, { method: options.method ?? 'POST', headers: options.headers ?? {} }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }),
      );
      res.on('error', (e) => resolve({ error: e.message }));
    });
    req.on('error', (e) => resolve({ error: e.message }));
    for (const chunk of options.chunks ?? []) req.write(chunk);
    req.end();
  });
}

let root: string;
let shopDir: string;
let plainDir: string;
let server: LocalWebhookServer;
const starter = countingStarter();
const sfn = mockClient(SFNClient);

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'vouch-webhook-'));
  shopDir = makeRepo(root, 'shop', { '.vouch.yml': SPEC_FILE, 'README.md': 'shop\n' });
  plainDir = makeRepo(root, 'plain', { 'README.md': 'no spec here\n' });
  const dirs: Record<string, string> = { 'acme/shop': shopDir, 'acme/plain': plainDir };
  server = await createLocalWebhookServer({
    deps: {
      secret: SECRET,
      loadSpec: workingCopySpecLoader((repo) => dirs[repo]),
      starter,
      logger: recordingLogger(),
      ledger: createMemoryDeliveryLedger(),
      limits: { maxBodyBytes: 64 * 1024 },
    },
  });
  mkdirSync(join(root, '.vouch'));
  writeFileSync(join(root, 'secret.txt'), `${SECRET}\n`);
  writeFileSync(
    join(root, '.vouch', 'platform.json'),
    JSON.stringify({ webhookUrl: server.url, webhookSecretFile: 'secret.txt' }),
  );
});

afterAll(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

afterEach(() => {
  starter.calls.length = 0;
  starter.runs.clear();
  sfn.reset();
});

const cli = (cwd: string, env: NodeJS.ProcessEnv = {}) => {
  const out: string[] = [];
  const err: string[] = [];
  return { ctx: { cwd, env, out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
};

describe('git working copy', () => {
  it('reads .vouch.yml at a commit, and says undefined for a commit without one', async () => {
    const shop = await headCommit(shopDir);
    const plain = await headCommit(plainDir);

    expect(await readFileAtCommit(shopDir, shop.sha)).toBe(SPEC_FILE);
    expect(await readFileAtCommit(plainDir, plain.sha)).toBeUndefined();
    expect(shop).toMatchObject({ branch: 'main', parent: undefined, subject: 'first' });
    expect(await repoName(shopDir)).toBe('acme/shop');
  });

  it('refuses an unknown commit with UnknownCommitError, anything not a full SHA or not a repo with SpecReadError', async () => {
    await expect(readFileAtCommit(shopDir, 'f'.repeat(40))).rejects.toBeInstanceOf(UnknownCommitError);
    await expect(readFileAtCommit(root, 'f'.repeat(40))).rejects.toBeInstanceOf(SpecReadError);
    await expect(readFileAtCommit(shopDir, '--output=/tmp/x')).rejects.toThrow('not a full commit SHA');
  });

  it.each([
    ['https://github.com/acme/shop.git', 'acme/shop'],
    ['git@github.com:acme/shop.git', 'acme/shop'],
    ['ssh://git@gitlab.example.com/group/sub/shop.git', 'group/sub/shop'],
    ['/srv/git/shop.git', undefined],
    ['file:///srv/git/acme/shop.git', undefined],
  ])('names the repo of remote %s as %s', (url, name) => {
    expect(repoPathOfRemote(url)).toBe(name);
  });
});

describe('local webhook server', () => {
  it('vouch trigger posts a signed push of HEAD and the endpoint starts one run for it', async () => {
    const { ctx, out } = cli(shopDir);
    const head = await headCommit(shopDir);

    const code = await createTriggerCommand().run([], ctx);

    expect(code).toBe(0);
    expect(out[0]).toMatch(
      /^acme\/shop@[0-9a-f]{12} on main: 201 started: started ci for shop \(execution gh-cli-/,
    );
    expect(starter.calls).toHaveLength(1);
    expect(starter.calls[0]?.input).toMatchObject({
      repo: 'acme/shop',
      commit: head.sha,
      branch: 'main',
      service: 'shop',
      pipe: 'ci',
    });
  });

  it('answers the same delivery twice with one run (201, then 200 existing)', async () => {
    // A new commit: the push of the first one already started its run in the test above.
    git(shopDir, 'commit', '-q', '--allow-empty', '-m', 'second');
    const commit = (await headCommit(shopDir)).sha;
    const { headers, body } = await signedPush(
      pushBody({ repo: 'acme/shop', commit }),
      'same-delivery',
      SECRET,
    );

    const first = await send(server.url, { headers, chunks: [Buffer.from(body)] });
    const second = await send(server.url, { headers, chunks: [Buffer.from(body)] });

    expect(first).toMatchObject({ status: 201 });
    expect(second).toMatchObject({ status: 200 });
    expect(starter.runs.size).toBe(1);
  });

  it('a push that starts nothing is not a started run: exit 1 for a feature branch (the endpoint ignores it), 2 for a repo without .vouch.yml (nothing is posted)', async () => {
    git(shopDir, 'checkout', '-q', '-b', 'feature');
    git(shopDir, 'commit', '-q', '--allow-empty', '-m', 'feature work');
    const feature = cli(shopDir);
    const plain = cli(plainDir);

    const featureCode = await createTriggerCommand().run([], feature.ctx);
    const plainCode = await createTriggerCommand().run([], plain.ctx);
    git(shopDir, 'checkout', '-q', 'main');

    expect([featureCode, plainCode]).toEqual([1, 2]);
    expect(feature.err[0]).toMatch(/200 ignored: push to feature; only main starts the pipe of shop$/);
    expect(plain.err[0]).toMatch(/has no \.vouch\.yml at [0-9a-f]{12}: it is not a Vouch service/);
    expect(starter.calls).toHaveLength(0);
  });

  it('refuses a wrong secret from vouch trigger with exit 1 and starts nothing', async () => {
    const { ctx, err } = cli(shopDir, { VOUCH_WEBHOOK_SECRET: 'not-it' });

    const code = await createTriggerCommand().run([], ctx);

    expect(code).toBe(1);
    expect(err[0]).toMatch(/401 rejected: signature does not match the body$/);
    expect(starter.calls).toHaveLength(0);
  });

  it('refuses a declared oversized body with 413 without reading it, and a streamed one mid-way', async () => {
    const { headers } = await signedPush();
    const big = Buffer.alloc(200 * 1024, 0x20);

    const declared = await send(server.url, {
      headers: { ...headers, 'content-length': String(big.length) },
      chunks: [],
    });
    const streamed = await send(server.url, {
      headers,
      chunks: Array.from({ length: 50 }, () => big.subarray(0, 16 * 1024)),
    });
    const after = await send(server.url, { method: 'GET' });

    expect(declared).toMatchObject({ status: 413 });
    // Past the limit the server answers 413 and closes; the client may see the answer or the reset first.
    if ('status' in streamed) expect(streamed.status).toBe(413);
    else expect(streamed.error).toMatch(/EPIPE|ECONNRESET|socket hang up/);
    expect(after).toMatchObject({ status: 405 });
    expect(starter.calls).toHaveLength(0);
  });

  it('answers 404 off the webhook path and 400 for a malformed signed body', async () => {
    const { headers, body } = await signedPush('{"ref":', 'bad-json', SECRET);

    const elsewhere = await send(`http://127.0.0.1:${server.port}/other`, { chunks: [] });
    const malformed = await send(server.url, { headers, chunks: [Buffer.from(body)] });

    expect(elsewhere).toMatchObject({ status: 404 });
    expect(malformed).toMatchObject({ status: 400 });
    expect('status' in malformed && JSON.parse(malformed.body).reason).toMatch(/^malformed JSON: /);
  });
});

describe('vouch trigger', () => {
  it('--remote starts the AWS execution of HEAD through StartExecution', async () => {
    const arn = 'arn:aws:states:eu-west-1:123456789012:stateMachine:vouch-ci';
    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'no', $metadata: {} }));
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${arn}:x` });
    const { ctx, out } = cli(shopDir, { VOUCH_STATE_MACHINE_ARN: arn });
    const head = await headCommit(shopDir);

    const code = await createTriggerCommand({ sfn: new SFNClient({ region: 'eu-west-1' }) }).run(
      ['--remote'],
      ctx,
    );

    expect(code).toBe(0);
    expect(out[0]).toMatch(/started arn:aws:states/);
    const input = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? '{}');
    expect(input).toMatchObject({ repo: 'acme/shop', commit: head.sha, service: 'shop', pipe: 'ci' });
    expect(sfn).toReceiveCommandWith(StartExecutionCommand, { stateMachineArn: arn });
  });

  it('exits 2 with what to fix when there is no endpoint URL or an unknown flag', async () => {
    const lonely = mkdtempSync(join(tmpdir(), 'vouch-lonely-'));
    const noUrl = cli(lonely);
    const badFlag = cli(shopDir);

    const codes = [
      await createTriggerCommand().run([], noUrl.ctx),
      await createTriggerCommand().run(['--nope'], badFlag.ctx),
    ];
    rmSync(lonely, { recursive: true, force: true });

    expect(codes).toEqual([2, 2]);
    expect(noUrl.err[0]).toMatch(/^no webhook URL: pass --url/);
  });

  it('--help prints the post-commit hook line', async () => {
    const { ctx, out } = cli(shopDir);

    expect(await createTriggerCommand().run(['--help'], ctx)).toBe(0);
    expect(out.join('\n')).toContain('.git/hooks/post-commit');
  });
});
