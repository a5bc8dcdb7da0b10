import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalPlatform } from '../../../lambdas/adapters/local/platform/LocalPlatform.ts';
import { pushToTrunk, type StoryRelease } from '../../../scripts/platform/story.ts';
import { decodePng, inkedPixels } from '../../integration/notify/decodePng.ts';
import type { LocalSlack } from '../../integration/notify/localSlack.ts';
import { describeDashboardOverTheStory } from '../dashboard/storyViews.ts';
import { type PlayingStory, startPlayingStory } from './playingStory.ts';

/**
 * The story `npm start` plays, end to end on one machine: three pushes arrive as signed webhooks, the
 * pipeline runs on the local engine against real processes behind the weighted proxy, bots and alarms
 * produce the evidence, and Slack is a real HTTP server on loopback. One play serves the dashboard's
 * browser tests (which watch it live) and the story's own; the abort, which adds a release, runs last.
 */
let story: PlayingStory;

beforeAll(async () => {
  story = await startPlayingStory();
}, 120_000);

afterAll(async () => {
  await story?.close();
}, 120_000);

describeDashboardOverTheStory(() => story);

describe('the local platform story', () => {
  let cwd: string;
  let slack: LocalSlack;
  let platform: LocalPlatform;
  let releases: StoryRelease[];
  let lines: string[];
  /** The largest share of proxied requests that release 3's version ever served, per environment. */
  let share: PlayingStory['servedByV3'];

  beforeAll(async () => {
    ({ cwd, slack, platform, lines, servedByV3: share } = story);
    releases = await story.releases;
  }, 600_000);

  it('releases the first version everywhere and promotes the healthy second one to prod', async () => {
    expect(
      releases.map((r) => r.result.status),
      lines.join('\n'),
    ).toEqual(['SUCCEEDED', 'SUCCEEDED', 'FAILED']);
    const where = await platform.builds.whereRuns('orders');
    expect(where.prod?.version).toBe(2);
    expect(where.qa?.version).toBe(2);
    const v2 = await platform.builds.listEvents('orders', 2);
    const labels = v2.flatMap((e) => (e.kind === 'PROMOTION' ? [e.label] : []));
    expect(labels).toEqual(['PASSED_TEST', 'PROMOTED:qa', 'PROMOTED:prod']);
  });

  it('rolls the regression back at a canary step, with less than all traffic ever on it', async () => {
    const v3 = releases[2] as StoryRelease;
    expect(v3.result.error).toBe('CanaryStepFailed');
    const events = await platform.builds.listEvents('orders', 3);
    const rollback = events.find((e) => e.kind === 'PROMOTION' && e.promotion === 'ROLLED_BACK');
    expect(rollback).toBeDefined();
    // Every canary step the regression reached carried less than all of the traffic.
    const steps = events.flatMap((e) =>
      e.kind === 'TASK' && e.type === 'shift' && e.phase === 'done' && e.outcome === 'SUCCEEDED'
        ? [Number(e.task.split('@')[1])]
        : [],
    );
    expect(steps.length).toBeGreaterThan(0);
    expect(Math.max(...steps)).toBeLessThan(100);
    // It never reached prod, and qa is back on the healthy version.
    expect(share.get('prod')).toBeUndefined();
    expect((await platform.builds.whereRuns('orders')).qa?.version).toBe(2);
  });

  it('tells the team in Slack, with the failing signal and its numbers', () => {
    const rolledBack = slack.messages.filter((m) => /ROLLED_BACK/.test(JSON.stringify(m)));
    expect(rolledBack).toHaveLength(1);
    const message = JSON.stringify(rolledBack[0]);
    expect(rolledBack[0]?.channel).toBe('#checkout');
    expect(message).toMatch(/orders/);
    expect(message).toMatch(/v3|version.{0,20}3/i);
    // The decisive signal, with the canary's observed value against the baseline and the allowed decay.
    expect(message).toMatch(/latencyP50/);
    expect(message).toMatch(/observed \*?[0-9.]+/);
    expect(message).toMatch(/allowed \+50/);
    // Units on the numbers, the test used, the detectable effect and the periods compared.
    expect(message).toMatch(/observed [0-9.]+ ms vs baseline [0-9.]+ ms/);
    expect(message).toMatch(/paired t-test of per-period log ratios/);
    expect(message).toMatch(/detectable \+[0-9.]+ %/);
    expect(message).toMatch(/[0-9]+ periods of 10 s/);
  });

  it("attaches the chart of both slots' per-period p50 to the rollback: a PNG with title, legend and axis titles", async () => {
    // The chart the rollback message carries, as the notifier rendered it into .vouch/outbox/charts.
    const dir = join(cwd, '.vouch', 'outbox', 'charts');
    const charts = readdirSync(dir).filter((f) => /rollback/.test(f) && f.endsWith('.png'));
    expect(charts).toHaveLength(1);
    const img = await decodePng(readFileSync(join(dir, charts[0] as string)));
    expect([img.width, img.height]).toEqual([800, 400]);
    expect(inkedPixels(img, 200, 0, 600, 30)).toBeGreaterThan(100); // title
    expect(inkedPixels(img, 150, 370, 650, 400)).toBeGreaterThan(100); // legend
    expect(inkedPixels(img, 0, 100, 22, 300)).toBeGreaterThan(50); // y axis title (unit)
    // The same chart went to Slack, in the rollback message's thread, titled with the signal.
    const uploaded = slack.files.filter((f) => /p50 latency in qa at 20 % canary: FAIL/.test(f.title ?? ''));
    expect(uploaded).toHaveLength(1);
    // The upload's body (multipart) carries the very PNG that was decoded above.
    expect(uploaded[0]?.bytes.includes(readFileSync(join(dir, charts[0] as string)))).toBe(true);
  });

  it('answers people on its API: status, and clear refusals for what cannot be done', async () => {
    const api = platform.api?.url as string;
    const status = (await (await fetch(`${api}/api/status?service=orders`)).json()) as {
      services: { service: string; where: Record<string, { version: number }> }[];
      runs: { status: string }[];
    };
    expect(status.services[0]?.where.prod?.version).toBe(2);
    expect(status.runs.map((r) => r.status)).toEqual(['FAILED', 'SUCCEEDED', 'SUCCEEDED']);
    const post = (path: string, body: unknown, type = 'application/json') =>
      fetch(`${api}${path}`, {
        method: 'POST',
        headers: { 'content-type': type },
        body: JSON.stringify(body),
      });
    const nothingToRollBack = await post('/api/rollback', { service: 'orders', environment: 'qa' });
    expect(await nothingToRollBack.json()).toEqual({ done: false, reason: 'no canary was running' });
    expect((await post('/api/promote', { service: 'orders' })).status).toBe(200);
    expect((await post('/api/promote', { service: 'billing' })).status).toBe(404);
    expect((await post('/api/abort', { service: 'Orders!' })).status).toBe(400);
    expect((await post('/api/abort', { service: 'orders' }, 'text/plain')).status).toBe(415);
    expect((await fetch(`${api}/`)).headers.get('content-type')).toMatch(/text\/html/);
  });

  it('aborts a run at its open window: the run fails, rolls back and cleans up', async () => {
    const dir = join(platform.stateDir, 'work', 'orders');
    const execution = await pushToTrunk(platform, dir, 'release 4');
    const running = platform.executions.get(execution);
    // Wait (bounded) for its first verification window to open, then abort.
    for (let i = 0; i < 300 && (await platform.status('orders')).openWindows.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 200));
    }
    const aborted = (await (
      await fetch(`${platform.api?.url}/api/abort`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ service: 'orders' }),
      })
    ).json()) as { aborted: string[]; windowsFailed: number };
    expect(aborted.aborted).toEqual([execution]);
    expect(aborted.windowsFailed).toBe(1);
    const result = await running?.done;
    expect(result?.status).toBe('FAILED');
    expect(result?.error).toBe('Aborted');
    // last still ran: the test environment is gone and prod still runs release 2.
    expect(platform.target.list().filter((e) => e.name === 'test')).toEqual([]);
    expect((await platform.builds.whereRuns('orders')).prod?.version).toBe(2);
    // Who aborted it is on the build's timeline (the local user here; the caller's ARN on AWS).
    const control = (await platform.builds.listEvents('orders', 4)).filter((e) => e.kind === 'CONTROL');
    expect(control).toEqual([
      expect.objectContaining({
        action: 'abort',
        actor: expect.stringMatching(/^local:.+/),
        // The run's own test environment: its evidence is keyed by the run (issue 12).
        environment: `test-${execution}`,
      }),
    ]);
  }, 120_000);
});
