/**
 * What "what Vouch records is what runs" means, checked on a local platform: the answers of the build
 * data (where, promotions, locks, run status) against the environments themselves, read through the
 * weighted proxy's `x-vouch-version` header like a user would.
 */
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { BuildRepository } from '../../../lambdas/adapters/dynamo/buildRepository.ts';
import type { LocalPlatform } from '../../../lambdas/adapters/local/platform/LocalPlatform.ts';
import type { SlotRequest } from '../../../lambdas/core/target/port.ts';
import { prepareWorkingCopy } from '../../../scripts/platform/story.ts';

const root = new URL('../../../', import.meta.url).pathname;
export const EXAMPLE_DIR = join(root, 'examples', 'orders');
export const SERVICE = 'orders';
export const LASTING = ['qa'] as const;

/**
 * The example service with a short pipe: test and qa only, 60-second windows, 10-second periods for the traffic floor
 * too, and two canary steps, so a release takes
 * a few seconds of wall time at 20x. Everything else (bots, alarms, judge) is the example's own.
 */
export function fastExampleYaml(): string {
  const spec = parse(readFileSync(join(EXAMPLE_DIR, '.vouch.yml'), 'utf8')) as Record<string, unknown>;
  // One lasting environment: every case here is about who acts on qa (the story covers prod).
  spec.environments = [{ name: 'test', ephemeral: true }, { name: 'qa' }];
  spec.verification = { windowSeconds: 60, minBotSamples: 12 };
  spec.canary = { ...(spec.canary as object), steps: [50, 100] };
  // The traffic floor on the example's 10-second periods, so a 60-second window sees it recover; and
  // latency budgets of 5 s: these tests are about who may act, on a machine that may be busy.
  const alarms = spec.alarms as Record<string, Record<string, unknown>>;
  spec.alarms = {
    ...alarms,
    latency: { ...alarms.latency, thresholdMs: 5000 },
    traffic: { periodSeconds: 10 },
  };
  const bots = spec.bots as { scenarios: { steps: { expect?: { latencyMs?: number } }[] }[] };
  for (const step of bots.scenarios.flatMap((s) => s.steps)) if (step.expect) step.expect.latencyMs = 5000;
  return stringify(spec);
}

/** A git working copy of the fast example under the platform's .vouch/work/orders. */
export function prepareFastExample(platform: LocalPlatform): string {
  const dir = prepareWorkingCopy(platform, EXAMPLE_DIR);
  writeFileSync(join(dir, '.vouch.yml'), fastExampleYaml());
  return dir;
}

/** The version an environment serves, as its proxy says on a response (undefined: nothing serves). */
export async function servedVersion(proxyUrl: string): Promise<string | undefined> {
  try {
    const response = await fetch(`${proxyUrl}/health`, { signal: AbortSignal.timeout(5000) });
    await response.arrayBuffer();
    return response.status < 500 ? (response.headers.get('x-vouch-version') ?? undefined) : undefined;
  } catch {
    return undefined;
  }
}

/** Every request through the proxies, to tell which version served where and when. */
export function recordRequests(platform: LocalPlatform): SlotRequest[] {
  const requests: SlotRequest[] = [];
  platform.target.addRequestObserver((r) => {
    if (r.status < 500) requests.push(r);
  });
  return requests;
}

/**
 * The problems found, empty when the records are what runs:
 * - `where` equals what each lasting environment serves through its proxy;
 * - every PROMOTED:<env> of a version was followed by that version serving all traffic there
 *   (from `requests`, the proxy's own log of who answered);
 * - no lock is held, and no run is left RUNNING (call once every run has ended).
 */
export async function inconsistencies(input: {
  builds: BuildRepository;
  /** Proxy URL per lasting environment that exists on the target. */
  proxies: Record<string, string>;
  requests?: readonly SlotRequest[];
  /** Promotions of versions below this one are not checked (they ran before `requests` was kept). @default 1 */
  checkPromotionsFrom?: number;
  running?: readonly string[];
}): Promise<string[]> {
  const problems: string[] = [];
  const where = await input.builds.whereRuns(SERVICE);
  for (const env of LASTING) {
    const proxy = input.proxies[env];
    const served = proxy ? await servedVersion(proxy) : undefined;
    const recorded = where[env]?.version;
    if (String(recorded ?? 'nothing') !== String(served ?? 'nothing'))
      problems.push(`${env}: where says ${recorded ?? 'nothing'}, the proxy serves ${served ?? 'nothing'}`);
    const lock = await input.builds.findLock(SERVICE, env);
    if (lock && !(input.running ?? []).includes(lock.owner) && Date.parse(lock.expiresAt) > Date.now())
      problems.push(`${env}: lock held by ${lock.owner}, which is not running`);
  }
  const builds = (await input.builds.listBuilds(SERVICE, { limit: 100 })).items;
  for (const build of builds) {
    if (build.status === 'RUNNING' && !(input.running ?? []).includes(build.execution))
      problems.push(`v${build.version} is left RUNNING`);
    if (!input.requests || build.version < (input.checkPromotionsFrom ?? 1)) continue;
    for (const event of await input.builds.listEvents(SERVICE, build.version)) {
      if (event.kind !== 'PROMOTION' || event.promotion !== 'PROMOTED') continue;
      const after = Date.parse(event.at);
      const servedAfter = input.requests.some(
        (r) =>
          r.environment === event.environment &&
          r.version === String(build.version) &&
          r.slot === 'baseline' &&
          r.at >= after - 50,
      );
      if (!servedAfter)
        problems.push(
          `v${build.version} is recorded PROMOTED:${event.environment} but never served there after`,
        );
    }
  }
  return problems;
}

/** Proxy URLs of the lasting environments the platform's target has. */
export function proxiesOf(platform: LocalPlatform): Record<string, string> {
  return Object.fromEntries(
    platform.target
      .list()
      .filter((e) => e.service === SERVICE && !e.ephemeral)
      .map((e) => [e.name, e.proxyUrl]),
  );
}

/** Processes whose working directory is under `dir` (a service runs in its image folder there). */
export function processesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (!readlinkSync(`/proc/${pid}/cwd`).startsWith(dir)) continue;
      found.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')}`);
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

/** Polls `condition` every 100 ms until true, at most `timeoutMs`. */
export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
