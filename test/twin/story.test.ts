/**
 * The README story on the AWS twin, through the same code `npm run twin` runs (playStory): what
 * `cdk synth` writes for examples/platform.yml, run on this machine with every call checked against
 * its role. Release 1 is the first release, release 2 is promoted through qa and prod in canary steps,
 * release 3 (the +60 ms overlay) is rolled back at a canary step and the team is told with the
 * judge's numbers. Nothing a run created is left; no call is denied.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { playStory, type StoryResult } from '../../lambdas/twin/story.ts';
import { cachedSynthesis } from './support/synthesisCache.ts';

describe('the README story on the AWS twin (npm run twin)', () => {
  let story: StoryResult;
  const lines: string[] = [];

  beforeAll(async () => {
    story = await playStory({ log: (line) => lines.push(line), synthesize: cachedSynthesis });
  }, 600_000);

  const release = (n: number) => {
    const r = story.releases.find((x) => x.release.number === n);
    if (!r) throw new Error(`release ${n} did not run:\n${lines.join('\n')}`);
    return r;
  };
  const canarySteps = (n: number, environment: string) =>
    story.weights.filter((w) => w.release === n && w.environment === environment).map((w) => w.canaryPercent);

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
    expect(story.leftovers).toEqual({
      instances: [],
      targetGroups: [],
      rules: [],
      schedules: [],
      tokens: [],
      locks: [],
    });
    expect(story.played).toBe(true);
  });

  it('release 1 is the first release: qa and prod get it with no canary weight', () => {
    expect(canarySteps(1, 'qa')).toEqual([]);
    expect(canarySteps(1, 'prod')).toEqual([]);
    expect(release(1).where.map((w) => [w.environment, w.recorded, w.served])).toEqual([
      ['qa', 1, '1'],
      ['prod', 1, '1'],
    ]);
  });

  it('release 2 is promoted through qa and prod in canary steps the load balancer was given', () => {
    // 20 % and 50 % judged, 100 %, then promoted: the canary slot becomes the baseline (weight 0).
    for (const environment of ['qa', 'prod']) {
      const steps = canarySteps(2, environment);
      expect(steps.slice(0, 3), `${environment}: ${steps.join(' -> ')}`).toEqual([20, 50, 100]);
      expect(steps.at(-1)).toBe(0);
    }
    const r = release(2);
    expect(r.states.filter((s) => s === 'canary-judge').length).toBeGreaterThanOrEqual(4);
    expect(r.where.map((w) => [w.environment, w.recorded, w.served])).toEqual([
      ['qa', 2, '2'],
      ['prod', 2, '2'],
    ]);
  });

  it('release 3 is rolled back at qa 20 %, and the Slack message carries the failing metric and numbers', () => {
    expect(canarySteps(3, 'qa')).toEqual([20, 0]);
    expect(canarySteps(3, 'prod')).toEqual([]);
    const r = release(3);
    expect(r.states).toContain('rollback');
    // Rolled back: qa and prod still serve release 2, and the build table says so.
    expect(r.where.map((w) => [w.environment, w.recorded, w.served])).toEqual([
      ['qa', 2, '2'],
      ['prod', 2, '2'],
    ]);
    const message = story.slack.find((m) => /v3 ROLLED_BACK in qa/.test(m.text));
    expect(message, story.slack.map((m) => m.text).join('\n')).toBeDefined();
    expect(message?.authorized).toBe(true);
    // The judge's failing signal with the canary's and the baseline's numbers (+60 ms per request).
    const numbers = /latencyP50\*?: observed ([\d.]+) ms vs baseline ([\d.]+) ms/.exec(message?.text ?? '');
    expect(numbers, message?.text).not.toBeNull();
    expect(Number(numbers?.[1]) - Number(numbers?.[2])).toBeGreaterThan(30);
  });
});
