/**
 * The story `npm start` plays, on one local platform shared by the end-to-end tests that watch it (the
 * dashboard in Chromium while it plays) and those that check what it left (builds, Slack, the API).
 * One play serves both: it takes minutes, and each reads it without changing it until the last test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalPlatform } from '../../../lambdas/adapters/local/platform/LocalPlatform.ts';
import { playStory, type StoryRelease } from '../../../scripts/platform/story.ts';
import { type LocalSlack, startLocalSlack } from '../../integration/notify/localSlack.ts';

const root = new URL('../../../', import.meta.url).pathname;

export interface PlayingStory {
  readonly cwd: string;
  readonly slack: LocalSlack;
  readonly platform: LocalPlatform;
  /** The platform's and the story's progress lines, for assertion messages. */
  readonly lines: string[];
  /** Requests that release 3's version served, per environment (counted from the story's start). */
  readonly servedByV3: Map<string, { total: number; served: number }>;
  /** The story's three releases, once played (rejects with why it could not be). */
  readonly releases: Promise<StoryRelease[]>;
  close(): Promise<void>;
}

/** Starts a local platform with a loopback Slack and starts the story on it, without waiting for it. */
export async function startPlayingStory(): Promise<PlayingStory> {
  const cwd = mkdtempSync(join(tmpdir(), 'vouch-story-'));
  const lines: string[] = [];
  const slack = await startLocalSlack();
  const platform = await LocalPlatform.start({
    cwd,
    // Slower than npm start's 20x: the end-to-end suite may share two cores with other work.
    timeScale: 15,
    persist: false,
    env: { SLACK_BOT_TOKEN: 'xoxb-local-test', SLACK_API_URL: slack.apiUrl },
    out: (line) => lines.push(line),
  });
  const servedByV3 = new Map<string, { total: number; served: number }>();
  platform.target.addRequestObserver((request) => {
    if (request.version !== '3') return;
    const s = servedByV3.get(request.environment) ?? { total: 0, served: 0 };
    s.served++;
    servedByV3.set(request.environment, s);
  });
  const releases = playStory(platform, {
    exampleDir: join(root, 'examples', 'orders'),
    faultyDir: join(root, 'examples', 'orders-faulty'),
    out: (line) => lines.push(line),
  });
  releases.catch(() => undefined); // awaited (and reported) by the tests
  return {
    cwd,
    slack,
    platform,
    lines,
    servedByV3,
    releases,
    close: async () => {
      await releases.catch(() => undefined);
      await platform.close();
      await slack.close();
      rmSync(cwd, { recursive: true, force: true });
    },
  };
}
