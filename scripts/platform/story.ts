/**
 * The story `npm start` plays on the local platform, as a team would live it: the example service's
 * repository gets three pushes to trunk, each arriving as a signed GitHub webhook.
 *   release 1: the first version, deployed to test, qa and prod;
 *   release 2: a healthy change, promoted through qa and prod by canary steps;
 *   release 3: a subtle regression (+60 ms per request) that passes the test environment and is caught
 *              by the canary judge at the first step in qa, rolled back, and reported in Slack.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalExecutionResult } from '../../lambdas/adapters/local/engine.ts';
import type { LocalPlatform } from '../../lambdas/adapters/local/platform/LocalPlatform.ts';
import { parseServiceSpec } from '../../lambdas/core/spec/index.ts';
import { gitHubPushPayload, signedGitHubHeaders } from '../../lambdas/core/webhook/gitHubPush.ts';
import { formatDuration, progressPrinter } from '../cli/progress.ts';
import { StoryError } from './errors.ts';

export interface StoryRelease {
  readonly label: string;
  readonly commit: string;
  readonly execution: string;
  readonly result: LocalExecutionResult;
}

export interface StoryOptions {
  /** The example service (examples/orders) and its faulty overlay (examples/orders-faulty). */
  readonly exampleDir: string;
  readonly faultyDir: string;
  readonly out: (line: string) => void;
}

const GIT_IDENTITY = ['-c', 'user.name=Vouch story', '-c', 'user.email=story@vouch.local'];

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', [...GIT_IDENTITY, ...args], {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

/** A fresh git working copy of the example service under .vouch/work/<service>. */
export function prepareWorkingCopy(platform: LocalPlatform, exampleDir: string): string {
  const spec = parseServiceSpec(readFileSync(join(exampleDir, '.vouch.yml'), 'utf8'));
  const dir = join(platform.stateDir, 'work', spec.service);
  rmSync(dir, { recursive: true, force: true });
  cpSync(exampleDir, dir, { recursive: true });
  git(dir, 'init', '--quiet', '--initial-branch', spec.trunk);
  return dir;
}

/** Commits the working copy and delivers the push to the platform's webhook, signed like GitHub does. */
export async function pushToTrunk(platform: LocalPlatform, dir: string, message: string): Promise<string> {
  git(dir, 'add', '--all');
  git(dir, 'commit', '--quiet', '--allow-empty', '-m', message);
  const commit = git(dir, 'rev-parse', 'HEAD');
  const before = (() => {
    try {
      return git(dir, 'rev-parse', 'HEAD~1');
    } catch {
      return undefined;
    }
  })();
  const spec = parseServiceSpec(readFileSync(join(dir, '.vouch.yml'), 'utf8'));
  const body = JSON.stringify(
    gitHubPushPayload({
      repo: `local/${spec.service}`,
      branch: spec.trunk,
      commit,
      ...(before ? { before } : {}),
      message,
      cloneUrl: `file://${dir}`,
    }),
  );
  if (!platform.webhook) throw new StoryError('the platform has no webhook endpoint');
  const response = await fetch(platform.webhook.url, {
    method: 'POST',
    headers: await signedGitHubHeaders(platform.webhookSecret, body, randomUUID()),
    body,
  });
  const reply = (await response.json()) as { outcome: string; reason: string; execution?: string };
  if (response.status >= 300 || !reply.execution) {
    throw new StoryError(
      `the webhook did not start a run: ${response.status} ${reply.outcome}: ${reply.reason}`,
    );
  }
  return reply.execution;
}

export async function playStory(platform: LocalPlatform, options: StoryOptions): Promise<StoryRelease[]> {
  const { out } = options;
  const dir = prepareWorkingCopy(platform, options.exampleDir);
  const spec = parseServiceSpec(readFileSync(join(dir, '.vouch.yml'), 'utf8'));
  await platform.registerService(spec, dir);
  const print = progressPrinter(out, '    ');
  const unsubscribe = platform.onProgress((_execution, entry) => print(entry));
  const releases: StoryRelease[] = [];

  const release = async (label: string, intro: string, change: () => void) => {
    out('');
    out(`== ${label}: ${intro}`);
    change();
    const started = Date.now();
    const execution = await pushToTrunk(platform, dir, label);
    const commit = git(dir, 'rev-parse', 'HEAD');
    out(`   pushed ${commit.slice(0, 8)} to ${spec.trunk}; webhook started run ${execution}`);
    const running = platform.executions.get(execution);
    if (!running) throw new StoryError(`run ${execution} is not known to the platform`);
    const result = await running.done;
    releases.push({ label, commit, execution, result });
    const where = Object.entries(await platform.builds.whereRuns(spec.service));
    out(
      `   ${label}: ${result.status}${result.error ? ` (${result.error})` : ''} in ${formatDuration(Date.now() - started)}`,
    );
    if (where.length > 0)
      out(`   now running: ${where.map(([env, state]) => `${env} v${state.version}`).join(', ')}`);
  };

  try {
    await release('release 1', 'the first version of the orders service', () => {});
    await release('release 2', 'a healthy change, released to qa and prod in canary steps', () => {
      appendFileSync(join(dir, 'CHANGELOG.md'), '- orders are listed newest first\n');
    });
    await release(
      'release 3',
      'a regression (+60 ms per order request) that passes the test environment; the canary judge must catch it',
      () => {
        const faulty = join(options.faultyDir, 'release.json');
        if (!existsSync(faulty)) throw new StoryError(`${faulty} is missing`);
        cpSync(faulty, join(dir, 'release.json'));
        appendFileSync(
          join(dir, 'CHANGELOG.md'),
          '- orders carry their full history (one more query per order)\n',
        );
      },
    );
    restoreHealthyRelease(dir, options, out);
  } finally {
    unsubscribe();
  }
  return releases;
}

/**
 * Release 3 was rolled back, but the working copy still holds it: a newcomer's first "edit, commit,
 * trigger" would ship the regression again. Commit its revert (without pushing), so the working copy is
 * on release 2's behaviour.
 */
function restoreHealthyRelease(dir: string, options: StoryOptions, out: (line: string) => void): void {
  cpSync(join(options.exampleDir, 'release.json'), join(dir, 'release.json'));
  git(dir, 'add', '--all');
  git(dir, 'commit', '--quiet', '-m', 'Revert release 3: back to the healthy release (not pushed)');
  const commit = git(dir, 'rev-parse', 'HEAD');
  out('');
  out(
    `== the working copy ${dir} is on ${commit.slice(0, 8)}, a revert of release 3 (not pushed): it behaves like release 2, so your next push is healthy`,
  );
}
