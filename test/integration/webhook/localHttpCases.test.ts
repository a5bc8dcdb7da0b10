// Issue 15's cases over HTTP on 127.0.0.1, against the local webhook server with the working-copy
// spec loader: the body format is the endpoint's, repeated header lines are seen as sent, slow
// sockets are closed within the server's own timeouts, and a commit the repository lacks is a 422.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { workingCopySpecLoader } from '../../../lambdas/adapters/local/gitWorkingCopy.ts';
import {
  createLocalWebhookServer,
  type LocalWebhookServer,
} from '../../../lambdas/adapters/local/webhookServer.ts';
import { createMemoryDeliveryLedger } from '../../../lambdas/core/webhook/deliveryLedger.ts';
import {
  countingStarter,
  PARENT,
  pushBody,
  recordingLogger,
  SECRET,
  signedPush,
  smuggledFormBody,
} from '../../unit/webhook/fixtures.ts';

const SPEC_FILE = 'pipe: ci\nservice: shop\nteam: payments\nsolution: storefront\n';
const HEADERS_TIMEOUT_MS = 400;
const REQUEST_TIMEOUT_MS = 800;

let root: string;
let server: LocalWebhookServer;
let head: string;
const starter = countingStarter();

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], {
    cwd: dir,
    encoding: 'utf8',
  }).trim();
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'vouch-webhook-http-'));
  const dir = join(root, 'shop');
  mkdirSync(dir);
  git(dir, 'init', '-q', '-b', 'main');
  writeFileSync(join(dir, '.vouch.yml'), SPEC_FILE);
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'first');
  head = git(dir, 'rev-parse', 'HEAD');
  const dirs: Record<string, string> = { 'acme/shop': dir, 'acme/billing': dir };
  server = await createLocalWebhookServer({
    headersTimeoutMs: HEADERS_TIMEOUT_MS,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    deps: {
      secret: SECRET,
      loadSpec: workingCopySpecLoader((repo) => dirs[repo]),
      starter,
      logger: recordingLogger(),
      ledger: createMemoryDeliveryLedger(),
    },
  });
});

afterAll(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

afterEach(() => {
  starter.calls.length = 0;
  starter.runs.clear();
});

interface RawAnswer {
  status?: number;
  body: string;
  /** Milliseconds from connect to the server closing the socket. */
  closedAfterMs: number;
}

/**
 * Writes `parts` to a raw socket (one per `gapMs`), exactly as given, and reads until the server
 * closes. Bounded: the socket is destroyed after `giveUpMs`, and `closedAfterMs` then says so.
 */
function rawExchange(
  parts: string[],
  options: { gapMs?: number; giveUpMs?: number } = {},
): Promise<RawAnswer> {
  const { port } = server;
  const giveUpMs = options.giveUpMs ?? 5_000;
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const giveUp = setTimeout(() => socket.destroy(), giveUpMs);
    const timers: NodeJS.Timeout[] = [];
    socket.on('connect', () => {
      parts.forEach((part, i) => {
        timers.push(
          setTimeout(
            () => {
              if (!socket.destroyed) socket.write(part);
            },
            i * (options.gapMs ?? 0),
          ),
        );
      });
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(giveUp);
      for (const t of timers) clearTimeout(t);
      const text = Buffer.concat(chunks).toString('utf8');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      resolve({
        ...(status === undefined ? {} : { status: Number(status) }),
        body: text.slice(text.indexOf('\r\n\r\n') + 4),
        closedAfterMs: Date.now() - started,
      });
    });
  });
}

/** One POST as raw lines: `headers` may repeat a name, which node's client would not let us send. */
function rawPost(headers: [string, string][], body: string): string {
  const lines = [
    'POST /webhook HTTP/1.1',
    'Host: 127.0.0.1',
    'Connection: close',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...headers.map(([k, v]) => `${k}: ${v}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

describe('case 1 over HTTP: the body format is the endpoint configuration', () => {
  it('refuses a signed JSON body re-sent as form-encoded with 415 and starts nothing', async () => {
    const { headers, body } = await signedPush(smuggledFormBody(), 'http-form-1');
    const asForm = Object.entries({ ...headers, 'content-type': 'application/x-www-form-urlencoded' });

    const answer = await rawExchange([rawPost(asForm, body)]);

    expect(answer.status).toBe(415);
    expect(starter.calls).toEqual([]);
  });
});

describe('case 5 over HTTP: repeated header lines', () => {
  it.each([
    ['X-GitHub-Delivery', 'more than one x-github-delivery header'],
    // node:http keeps only the first Content-Type in req.headers; rawHeaders has both.
    ['Content-Type', 'more than one Content-Type header'],
  ])('refuses a second %s line with 400', async (name, reason) => {
    const { headers, body } = await signedPush(pushBody({ commit: head }), 'http-dup-1');
    const lines = Object.entries(headers);
    const same = lines.find(([k]) => k.toLowerCase() === name.toLowerCase());
    lines.push([name, same?.[1] ?? 'x']);

    const answer = await rawExchange([rawPost(lines, body)]);

    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).reason).toBe(reason);
    expect(starter.calls).toEqual([]);
  });

  it('refuses two GitLab Idempotency-Key lines instead of starting a second run', async () => {
    const body = JSON.stringify({
      object_kind: 'push',
      ref: 'refs/heads/main',
      before: PARENT,
      after: head,
      project: { path_with_namespace: 'acme/shop', default_branch: 'main' },
    });
    const base: [string, string][] = [
      ['Content-Type', 'application/json'],
      ['X-Gitlab-Event', 'Push Hook'],
      ['X-Gitlab-Token', SECRET],
    ];

    const first = await rawExchange([rawPost([...base, ['Idempotency-Key', 'key-a']], body)]);
    const twice = await rawExchange([
      rawPost([...base, ['Idempotency-Key', 'key-a'], ['Idempotency-Key', 'key-b']], body),
    ]);

    expect([first.status, twice.status]).toEqual([201, 400]);
    expect(starter.calls).toHaveLength(1);
  });
});

describe('case 6: slow sockets are closed within the server timeouts', () => {
  it('closes a socket that never finishes its headers by headersTimeoutMs', async () => {
    const answer = await rawExchange(['POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n'], { giveUpMs: 5_000 });

    // Node answers 408 and closes; before the fix the sweep ran every 30 s and giveUpMs cut it first.
    expect(answer.status).toBe(408);
    expect(answer.closedAfterMs).toBeLessThan(5_000);
    expect(answer.closedAfterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - HEADERS_TIMEOUT_MS / 10 - 50);
  });

  it('closes a socket that trickles its body by requestTimeoutMs', async () => {
    const head =
      'POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n';
    const trickle = Array.from({ length: 40 }, () => ' ');

    const answer = await rawExchange([head, ...trickle], { gapMs: 100, giveUpMs: 5_000 });

    expect(answer.status).toBe(408);
    expect(answer.closedAfterMs).toBeLessThan(5_000);
  });
});

describe('case 7: a commit the repository lacks', () => {
  it('answers 422 naming the commit, not 503', async () => {
    const missing = 'f'.repeat(40);
    const { headers, body } = await signedPush(pushBody({ commit: missing }), 'http-missing-1');

    const answer = await rawExchange([rawPost(Object.entries(headers), body)]);

    expect(answer.status).toBe(422);
    expect(JSON.parse(answer.body).reason).toMatch(`commit ${missing} is not in the working copy`);
    expect(starter.calls).toEqual([]);
  });
});
