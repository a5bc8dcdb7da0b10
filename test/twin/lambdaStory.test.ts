/**
 * The README story for the example's Lambda service on the AWS twin, through the same code
 * `npm run twin -- --service orders-fn` runs (playStory): orders-fn on its lambda-canary state machine,
 * its lasting environments the function's aliases. Release 1 is the first release, release 2 is
 * promoted in qa in canary steps on the qa alias's weights, release 3 (the +60 ms overlay) is rolled
 * back at qa's first canary step and the team is told with the judge's numbers. Nothing a run created
 * is left (test aliases and their URLs, schedules, tokens, locks); no call is denied.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { playStory, STORY_SPECS, type StoryResult } from '../../lambdas/twin/story.ts';
import type { Twin } from '../../lambdas/twin/TwinPlatform.ts';
import { cachedSynthesis } from './support/synthesisCache.ts';

/**
 * The command's default is x15 (129 s here alone); at x20 the test takes 94 s, and a task's 30 s
 * timeout is still 1.5 s of wall time (x25 saves about 15 s more, at 1.2 s: the README saw task
 * Lambdas time out at x15 under a load average of 20 to 30). The spec's windows cannot shrink: the test
 * environment's bots first fire a minute into its 120 s window (60 s got 2 of the 20 bot samples
 * required), and 180 s canary windows left the judge INCONCLUSIVE at 20 % (too few paired periods), so
 * every step was extended and the story took longer (119 s at x20).
 */
const TIME_SCALE = 20;

describe('the README story of the Lambda service on the AWS twin (npm run twin -- --service orders-fn)', () => {
  let story: StoryResult;
  const lines: string[] = [];
  let versions: string[] = [];
  let aliases: Record<string, { version: string; weights: Record<string, number> }> = {};

  beforeAll(async () => {
    story = await playStory({
      specFile: STORY_SPECS['orders-fn'],
      timeScale: TIME_SCALE,
      synthesize: cachedSynthesis,
      log: (line) => lines.push(line),
      inspect: async (twin: Twin) => {
        const fn = twin.lambdaService.functions.get('orders-fn');
        versions = [...(fn?.versions.keys() ?? [])];
        aliases = Object.fromEntries(
          [...(fn?.aliases ?? [])].map(([name, a]) => [
            name,
            { version: a.version, weights: { ...a.weights } },
          ]),
        );
      },
    });
  }, 600_000);

  const release = (n: number) => {
    const r = story.releases.find((x) => x.release.number === n);
    if (!r) throw new Error(`release ${n} did not run:\n${lines.join('\n')}`);
    return r;
  };
  const canarySteps = (n: number, environment: string) =>
    story.weights.filter((w) => w.release === n && w.environment === environment).map((w) => w.canaryPercent);
  const where = (n: number) =>
    release(n).where.map((w) => [w.environment, w.recorded ?? null, w.served ?? null]);

  it('plays: every release ends as the story expects, nothing is left, nothing is denied', () => {
    // On a failure, the story's own account of it (each failed state and each release's end).
    const account = lines.filter((l) => / {2}x |release \d: /.test(l)).join('\n');
    expect(
      story.releases.map((r) => [r.release.number, r.status, r.error ?? null]),
      account,
    ).toEqual([
      [1, 'SUCCEEDED', null],
      [2, 'SUCCEEDED', null],
      [3, 'FAILED', 'CanaryStepFailed'],
    ]);
    expect(story.denied).toEqual([]);
    // A Lambda service's leftovers: no per-run test alias and no URL of one; and what any flavour checks.
    expect(story.leftovers).toEqual({
      instances: [],
      aliases: [],
      functionUrls: [],
      targetGroups: [],
      rules: [],
      schedules: [],
      tokens: [],
      locks: [],
    });
    expect(story.played).toBe(true);
  });

  it('release 1 is the first release: qa gets its published version with no canary weight', () => {
    expect(canarySteps(1, 'qa')).toEqual([]);
    // Served is the function version behind the alias: version 1 is what ran before Vouch, release 1
    // published version 2. prod is not in the story's spec: its alias stays on version 1.
    expect(where(1)).toEqual([
      ['qa', 1, '2'],
      ['prod', null, '1'],
    ]);
  });

  it("release 2 is promoted in qa in canary steps on the qa alias's weights", () => {
    // 20 % and 50 % judged, 100 %, then promoted: the alias's primary becomes the new version (weight 0).
    expect(canarySteps(2, 'qa')).toEqual([20, 50, 100, 0]);
    expect(canarySteps(2, 'prod')).toEqual([]);
    // As the Lambda fake applied them: version 3 as the additional version over version 2, then primary.
    const qa = story.routing.filter((c) => c.release === 2 && c.alias === 'qa' && c.canaryWeight > 0);
    expect(qa.map((c) => [c.version, c.canaryVersion, c.canaryWeight])).toEqual([
      ['2', '3', 20],
      ['2', '3', 50],
      ['2', '3', 100],
    ]);
    const r = release(2);
    expect(r.states.filter((s) => s === 'canary-judge').length).toBeGreaterThanOrEqual(2);
    expect(where(2)).toEqual([
      ['qa', 2, '3'],
      ['prod', null, '1'],
    ]);
  });

  it('release 3 is rolled back at qa 20 %, and the Slack message carries the failing metric and numbers', () => {
    expect(canarySteps(3, 'qa')).toEqual([20, 0]);
    const r = release(3);
    expect(r.states).toContain('rollback');
    // Version 4 (the overlay) served part of qa's requests at 20 %, then qa is back on version 3 alone.
    expect(story.served.some((s) => s.alias === 'qa' && s.version === '4')).toBe(true);
    expect(where(3)).toEqual([
      ['qa', 2, '3'],
      ['prod', null, '1'],
    ]);
    expect(aliases.qa).toEqual({ version: '3', weights: {} });
    // One version per release, kept for rollback; no other was published.
    expect(versions).toEqual(['1', '2', '3', '4']);
    const message = story.slack.find((m) => /v3 ROLLED_BACK in qa/.test(m.text));
    expect(message, story.slack.map((m) => m.text).join('\n')).toBeDefined();
    expect(message?.authorized).toBe(true);
    // The judge's failing signal: the function's Duration p50, canary against baseline. The overlay's
    // 60 ms is a sleep in twin time, which runs TIME_SCALE times faster than the wall time Lambda's
    // Duration is measured in (the handler runs in the twin's process): the canary's p50 is at least
    // half of 60 / TIME_SCALE ms above the baseline's.
    const numbers = /latencyP50\*?: observed ([\d.]+) ms vs baseline ([\d.]+) ms/.exec(message?.text ?? '');
    expect(numbers, message?.text).not.toBeNull();
    expect(Number(numbers?.[1]) - Number(numbers?.[2])).toBeGreaterThan(30 / TIME_SCALE);
  });
});
