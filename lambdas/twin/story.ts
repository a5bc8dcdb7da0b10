/**
 * The README story on the twin: which releases run (their commits and sources), what each release
 * leaves running where (the build table's record beside what the load balancer actually serves), and
 * what a run must not leave behind. `npm run twin` (main.ts) and the twin tests read the same answers.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { RunInput } from '../core/pipeline/contract.ts';
import type { parseRunSpec } from '../core/webhook/runSpec.ts';

type ServiceRunSpec = ReturnType<typeof parseRunSpec>;

import type { Twin } from './TwinPlatform.ts';

export interface StoryRelease {
  readonly number: number;
  readonly commit: string;
  /** The commit's source: directories laid over each other (the faulty release is an overlay). */
  readonly sources: readonly string[];
  /** What the story expects of it. */
  readonly expected: string;
}

/**
 * Release 1 (a first release: no canary judging), 2 (same code, promoted in canary steps) and 3 (the
 * orders-faulty overlay, +60 ms per /orders request, rolled back at a canary step).
 */
export function storyReleases(serviceDir: string, faultyOverlay: string): StoryRelease[] {
  return [
    { number: 1, commit: '1'.repeat(40), sources: [serviceDir], expected: 'first release, no canary' },
    { number: 2, commit: '2'.repeat(40), sources: [serviceDir], expected: 'promoted in canary steps' },
    {
      number: 3,
      commit: '3'.repeat(40),
      sources: [serviceDir, faultyOverlay],
      expected: 'rolled back at a canary step',
    },
  ];
}

/** The run input the webhook Lambda starts for a push of `commit`. */
export function releaseInput(
  spec: Pick<ServiceRunSpec, 'service' | 'team' | 'solution' | 'pipe' | 'config' | 'trunk'>,
  release: Pick<StoryRelease, 'number' | 'commit'>,
  repo: string,
): RunInput {
  return {
    service: spec.service,
    team: spec.team,
    solution: spec.solution,
    repo,
    commit: release.commit,
    branch: spec.trunk ?? 'main',
    execution: `twin-release-${release.number}`,
    pipe: spec.pipe,
    config: spec.config,
  };
}

/** The lasting environments' base URLs of a service in the platform config (`services[].environments[]`). */
export function lastingBaseUrls(configFile: string, service: string): Record<string, string> {
  const config = parse(readFileSync(configFile, 'utf8')) as {
    services?: { name: string; environments?: { name: string; baseUrl: string; ephemeral?: boolean }[] }[];
  };
  const entry = config.services?.find((s) => s.name === service);
  return Object.fromEntries(
    (entry?.environments ?? []).filter((e) => !e.ephemeral).map((e) => [e.name, e.baseUrl]),
  );
}

export interface WhereItRuns {
  readonly environment: string;
  /** The version the build table says runs there. */
  readonly recorded: number | undefined;
  /** The `x-vouch-version` the environment's base URL answers with through the load balancer. */
  readonly served: string | undefined;
}

/** Per lasting environment: the build table's `where` beside what its base URL serves. */
export async function whereItRuns(
  twin: Twin,
  service: string,
  baseUrls: Readonly<Record<string, string>>,
): Promise<WhereItRuns[]> {
  const where = await twin.builds.whereRuns(service);
  const out: WhereItRuns[] = [];
  for (const [environment, baseUrl] of Object.entries(baseUrls)) {
    let served: string | undefined;
    try {
      const res = await fetch(new URL('/health', baseUrl));
      await res.arrayBuffer();
      served = res.status < 500 ? (res.headers.get('x-vouch-version') ?? undefined) : undefined;
    } catch {
      served = undefined;
    }
    out.push({ environment, recorded: where[environment]?.version, served });
  }
  return out;
}

export interface Leftovers {
  /** Builders and instances of ephemeral environments not terminated. */
  readonly instances: string[];
  /** Target groups and listener rules of ephemeral environments. */
  readonly targetGroups: string[];
  readonly rules: string[];
  /** Schedules a run created (per-run bots, window ends). */
  readonly schedules: string[];
  /** Task tokens nobody will send. */
  readonly tokens: string[];
  /** Deploy locks still held. */
  readonly locks: string[];
}

const ephemeralId = (tags: Record<string, string>) =>
  (tags['vouch:environment-id'] ?? '').split('.').length > 2;

/**
 * What runs must not leave behind: lasting environments keep their instances (they run the release),
 * and images stay for rollback; everything else a run created is gone when it ends.
 */
export async function leftovers(
  twin: Twin,
  service: string,
  lastingEnvironments: readonly string[],
): Promise<Leftovers> {
  const locks: string[] = [];
  for (const environment of lastingEnvironments) {
    const lock = await twin.builds.findLock(service, environment);
    if (lock !== undefined && Date.parse(lock.expiresAt) > Date.now())
      locks.push(`${environment} (${lock.owner})`);
  }
  return {
    instances: [...twin.ec2.instances.values()]
      .filter((i) => i.terminatedAt === undefined && (i.builder || ephemeralId(i.tags)))
      .map((i) => i.id),
    targetGroups: [...twin.elb.targetGroups.values()].filter((g) => ephemeralId(g.tags)).map((g) => g.name),
    rules: [...twin.elb.rules.values()].filter((r) => ephemeralId(r.tags)).map((r) => r.arn),
    schedules: [...twin.scheduler.schedules.values()].filter((s) => s.origin === 'api').map((s) => s.name),
    tokens: twin.stepFunctions.pendingTokens.map((t) => t.state),
    locks,
  };
}

export function nothingLeft(l: Leftovers): boolean {
  return Object.values(l).every((list) => list.length === 0);
}
