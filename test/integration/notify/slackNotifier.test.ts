// The Slack notifier against a real HTTP server on 127.0.0.1: retries, dead letters, limits, and
// the two promises: nothing lost (the dead letter holds it), nothing sent twice (the server counts).
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalChartPort } from '../../../lambdas/adapters/local/chart/index.ts';
import { createJsonlDeadLetters } from '../../../lambdas/adapters/local/outbox.ts';
import { redriveDeadLetters } from '../../../lambdas/adapters/slack/index.ts';
import { InMemoryDeliveryStore } from '../../../lambdas/adapters/slack/ports.ts';
import { createSlackNotifier, createSlackWebClient } from '../../../lambdas/adapters/slack/slackNotifier.ts';
import { parseNotification } from '../../../lambdas/core/notify/notification.ts';
import { rolledBackNotification } from './fixtures.ts';
import { type LocalSlack, startLocalSlack } from './localSlack.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let slack: LocalSlack;
let dir: string;
let sleeps: number[];
let store: InMemoryDeliveryStore;
let deadLetters: ReturnType<typeof createJsonlDeadLetters>;

function notifier(apiUrl = slack.apiUrl) {
  return createSlackNotifier({
    client: createSlackWebClient('xoxb-test', { slackApiUrl: apiUrl, timeoutMs: 5_000 }),
    teamChannels: { payments: 'C-PAYMENTS', search: 'C-SEARCH' },
    store,
    deadLetters,
    chart: createLocalChartPort(join(dir, 'charts')),
    retry: {
      maxAttempts: 4,
      baseDelayMs: 1_000,
      maxDelayMs: 8_000,
      maxRetryAfterMs: 30_000,
      maxTotalWaitMs: 60_000,
    },
    // Delays are recorded, not waited: the policy is checked, the test stays fast.
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0,
  });
}

beforeEach(async () => {
  slack = await startLocalSlack();
  dir = await mkdtemp(join(tmpdir(), 'vouch-notify-'));
  sleeps = [];
  store = new InMemoryDeliveryStore();
  deadLetters = createJsonlDeadLetters(join(dir, 'dead-letters.jsonl'));
});

afterEach(async () => {
  await slack.close();
  await rm(dir, { recursive: true, force: true });
});

describe('Slack notifier', () => {
  it('posts the message to the team channel with the failing numbers, the chart in its thread, once', async () => {
    // Prepare
    const n = notifier();
    // Act
    const first = await n.deliver(rolledBackNotification());
    const second = await n.deliver(rolledBackNotification());
    // Assess
    expect(first.status).toBe('sent');
    expect(second.status).toBe('duplicate');
    expect(slack.messages).toHaveLength(1);
    const [message] = slack.messages;
    expect(message?.channel).toBe('C-PAYMENTS');
    const all = JSON.stringify(message?.blocks);
    for (const expected of [
      'orders',
      'payments',
      '3f2a9c1d0b7e',
      'prod',
      '5 % traffic',
      'latencyP99',
      '312.5',
      '+42.0 %',
      '+20.0 %',
      '2026-11-21T12:10:00.000Z',
      '2026-11-21T12:15:00.000Z',
    ]) {
      expect(all).toContain(expected);
    }
    expect(message?.metadata).toEqual({
      event_type: 'vouch_notification',
      event_payload: { id: 'exec-42#judge#5' },
    });
    expect(slack.files).toHaveLength(1);
    expect(slack.files[0]?.threadTs).toBe(message?.ts);
    expect(slack.files[0]?.bytes.includes(PNG_SIGNATURE)).toBe(true);
  });

  it('routes each team to its own channel', async () => {
    const n = notifier();
    await n.deliver(rolledBackNotification({ id: 'a', team: 'search' }));
    expect(slack.messages.map((m) => m.channel)).toEqual(['C-SEARCH']);
  });

  it('waits Retry-After on 429, then delivers once', async () => {
    // Prepare
    slack.script('chat.postMessage', { status: 429, retryAfter: 7 }, { status: 429, retryAfter: 3 });
    // Act
    const result = await notifier().deliver(rolledBackNotification());
    // Assess
    expect(result.status).toBe('sent');
    expect(slack.requests.get('chat.postMessage')).toBe(3);
    expect(sleeps.slice(0, 2)).toEqual([7_000, 3_000]);
    expect(slack.messages).toHaveLength(1);
  });

  it('backs off exponentially on 500s, then delivers once', async () => {
    slack.script('chat.postMessage', { status: 500 }, { status: 502 }, { status: 503 });
    const result = await notifier().deliver(rolledBackNotification());
    expect(result.status).toBe('sent');
    // random() = 0: half of 1 s, 2 s, 4 s.
    expect(sleeps).toEqual([500, 1_000, 2_000]);
    expect(slack.messages).toHaveLength(1);
  });

  it('dead-letters when Slack always answers 500, and a redrive after recovery delivers exactly once', async () => {
    // Prepare
    slack.fallback = { status: 500 };
    const n = notifier();
    // Act
    const result = await n.deliver(rolledBackNotification());
    // Assess: nothing delivered, nothing lost
    expect(result.status).toBe('dead-lettered');
    expect(slack.requests.get('chat.postMessage')).toBe(4);
    expect(slack.messages).toHaveLength(0);
    const letters = await deadLetters.read();
    expect(letters).toHaveLength(1);
    expect(letters[0]?.notification).toEqual(rolledBackNotification());

    // Act: Slack is back; redrive twice
    slack.fallback = 'ok';
    const redriven = await redriveDeadLetters(letters, n);
    const again = await redriveDeadLetters(await deadLetters.read(), n);
    // Assess
    expect(redriven.map((r) => r.status)).toEqual(['sent']);
    expect(again.map((r) => r.status)).toEqual(['duplicate']);
    expect(slack.messages).toHaveLength(1);
  });

  it('dead-letters when Slack refuses connections, and delivers once it listens', async () => {
    // Prepare: a port nobody listens on
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const deadPort = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    // Act
    const result = await notifier(`http://127.0.0.1:${deadPort}/api/`).deliver(rolledBackNotification());
    // Assess
    expect(result.status).toBe('dead-lettered');
    expect(result.error).toMatch(/transient/);
    expect(await deadLetters.read()).toHaveLength(1);
    const redriven = await redriveDeadLetters(await deadLetters.read(), notifier());
    expect(redriven.map((r) => r.status)).toEqual(['sent']);
    expect(slack.messages).toHaveLength(1);
  });

  it('gives up when the waiting budget of a delivery is spent: Retry-After 25 s three times > 60 s', async () => {
    slack.script(
      'chat.postMessage',
      { status: 429, retryAfter: 25 },
      { status: 429, retryAfter: 25 },
      { status: 429, retryAfter: 25 },
    );
    const result = await notifier().deliver(rolledBackNotification());
    expect(result.status).toBe('dead-lettered');
    expect(sleeps).toEqual([25_000, 25_000]);
    expect(slack.requests.get('chat.postMessage')).toBe(3);
    expect(await deadLetters.read()).toHaveLength(1);
  });

  it('does not retry a permanent error: dead-letters after one attempt', async () => {
    slack.script('chat.postMessage', { platformError: 'channel_not_found' });
    const result = await notifier().deliver(rolledBackNotification());
    expect(result.status).toBe('dead-lettered');
    expect(slack.requests.get('chat.postMessage')).toBe(1);
    expect(sleeps).toEqual([]);
    expect((await deadLetters.read())[0]?.error.message).toContain('channel_not_found');
  });

  it('resumes after the message was posted: a failed chart upload never reposts the message', async () => {
    // Prepare: the message goes out, every upload attempt fails
    slack.script(
      'files.getUploadURLExternal',
      { status: 500 },
      { status: 500 },
      { status: 500 },
      { status: 500 },
    );
    const n = notifier();
    // Act
    const first = await n.deliver(rolledBackNotification());
    const letters = await deadLetters.read();
    const redriven = await redriveDeadLetters(letters, n);
    // Assess
    expect(first.status).toBe('dead-lettered');
    expect(letters[0]?.progress?.ts).toBeDefined();
    expect(redriven.map((r) => r.status)).toEqual(['sent']);
    expect(slack.messages).toHaveLength(1);
    expect(slack.files).toHaveLength(1);
    expect(slack.files[0]?.threadTs).toBe(slack.messages[0]?.ts);
  });

  it('cuts a message over Slack limits so Slack accepts it, and attaches the full notification', async () => {
    // Prepare: 120 signals (over 50 blocks), a 100k-char summary (over 3,000 per section, 40,000 text)
    const signals = Array.from({ length: 120 }, (_, i) => ({
      signal: `custom${i}`,
      outcome: 'PASS' as const,
      observed: i,
      baseline: i,
      effect: 0,
      allowed: 0.1,
      unit: 'relative' as const,
    }));
    const big = parseNotification({
      ...rolledBackNotification(),
      id: 'big',
      verdict: {
        outcome: 'FAIL',
        decisive: 'latencyP99',
        summary: 'x'.repeat(100_000),
        signals: [...rolledBackNotification().verdict.signals, ...signals],
      },
    });
    // Act
    const result = await notifier().deliver(big);
    // Assess: delivered once, within limits (the server rejects otherwise), nothing lost
    expect(result.status).toBe('sent');
    expect(slack.messages).toHaveLength(1);
    expect(slack.messages[0]?.blocks.length).toBeLessThanOrEqual(50);
    expect(JSON.stringify(slack.messages[0]?.blocks)).toContain('more signals not shown');
    const full = slack.files.find((f) => f.title?.startsWith('Full notification'));
    expect(full).toBeDefined();
    expect(full?.bytes.toString('utf8')).toContain('custom119');
  });

  it('delivers one of two concurrent copies of the same event', async () => {
    const n = notifier();
    const results = await Promise.all([
      n.deliver(rolledBackNotification()),
      n.deliver(rolledBackNotification()),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['busy', 'sent']);
    expect(slack.messages).toHaveLength(1);
  });
});
