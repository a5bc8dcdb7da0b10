/**
 * The README story on the twin: which releases run (their commits and sources), what each release
 * leaves running where (the build table's record beside what the lasting environment actually serves),
 * and what a run must not leave behind; `playStory` plays it on a twin of the synthesized templates,
 * for the example's EC2 service (orders, ec2-canary: weights on the load balancer's listener rules) or
 * its Lambda service (orders-fn, lambda-canary: weights on the function's aliases).
 * `npm run twin` (main.ts) and the story tests (test/twin/story.test.ts, lambdaStory.test.ts) run the
 * same `playStory`.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { TAG } from '../adapters/aws/target/tags.ts';
import type { JsonValue, RunConfig, RunInput } from '../core/pipeline/contract.ts';
import { canarySpecOf } from '../core/pipeline/taskInputs.ts';
import { parseRunSpec } from '../core/webhook/runSpec.ts';
import { wallSleep } from './clock.ts';
import { TwinSetupError, TwinTemplateError } from './errors.ts';
import type { Ec2Timings } from './fakes/ec2.ts';
import { forwardWeights, ruleHosts } from './fakes/elb.ts';
import type { RoutingChange } from './fakes/lambdaService.ts';
import type { SlackMessage } from './fakes/slack.ts';
import type { InvocationRecord } from './lambdaRunner.ts';
import type { ServedInvocation } from './serviceFunctions.ts';
import { startTwin, TWIN_ROOT, type Twin } from './TwinPlatform.ts';
import type { SynthesizedStack } from './template.ts';

type ServiceRunSpec = ReturnType<typeof parseRunSpec>;

export interface StoryRelease {
  readonly number: number;
  readonly commit: string;
  /** The commit's source: directories laid over each other (the faulty release is an overlay). */
  readonly sources: readonly string[];
  /** What the story expects of it. */
  readonly expected: string;
  /** How its execution must end: SUCCEEDED, or FAILED with this error (a rollback). */
  readonly expectedEnd: { status: 'SUCCEEDED' } | { status: 'FAILED'; error: string };
}

/**
 * Release 1 (a first release: no canary judging), 2 (same code, promoted in canary steps) and 3 (the
 * orders-faulty overlay, +60 ms per /orders request, rolled back at a canary step).
 */
export function storyReleases(serviceDir: string, faultyOverlay: string): StoryRelease[] {
  return [
    {
      number: 1,
      commit: '1'.repeat(40),
      sources: [serviceDir],
      expected: 'first release, no canary',
      expectedEnd: { status: 'SUCCEEDED' },
    },
    {
      number: 2,
      commit: '2'.repeat(40),
      sources: [serviceDir],
      expected: 'promoted in canary steps',
      expectedEnd: { status: 'SUCCEEDED' },
    },
    {
      number: 3,
      commit: '3'.repeat(40),
      sources: [serviceDir, faultyOverlay],
      expected: 'rolled back at a canary step',
      // The judge's FAIL is raised as CanaryStepFailed; the release's Catch rolls back, and the run
      // ends failed with that error after cleanup and the notification.
      expectedEnd: { status: 'FAILED', error: 'CanaryStepFailed' },
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

/** The flavour whose lasting environments are a function's aliases. */
const LAMBDA_PIPE = 'lambda-canary';

/** A Lambda service's function in the platform config (`services[].lambdaTarget.functionName`). */
export function lambdaFunctionName(configFile: string, service: string): string {
  const config = parse(readFileSync(configFile, 'utf8')) as {
    services?: { name: string; lambdaTarget?: { functionName?: string } }[];
  };
  const name = config.services?.find((s) => s.name === service)?.lambdaTarget?.functionName;
  if (name === undefined)
    throw new TwinTemplateError(`${service} has no lambdaTarget.functionName in ${configFile}`);
  return name;
}

export interface WhereItRuns {
  readonly environment: string;
  /** The version the build table says runs there. */
  readonly recorded: number | undefined;
  /**
   * The `x-vouch-version` the environment's base URL answers with: through the load balancer, the
   * build version the instance runs; through a Lambda service's alias, the function version it runs.
   */
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
  /**
   * A Lambda service's (when `leftovers` is given its function): its function's aliases other than
   * the lasting environments' (per-run test aliases), and their function URLs, `function:alias`.
   */
  readonly aliases?: string[];
  readonly functionUrls?: string[];
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
  functionName?: string,
): Promise<Leftovers> {
  const locks: string[] = [];
  for (const environment of lastingEnvironments) {
    const lock = await twin.builds.findLock(service, environment);
    if (lock !== undefined && Date.parse(lock.expiresAt) > Date.now())
      locks.push(`${environment} (${lock.owner})`);
  }
  const lasting = new Set(lastingEnvironments);
  const fn = functionName === undefined ? undefined : twin.lambdaService.functions.get(functionName);
  return {
    instances: [...twin.ec2.instances.values()]
      .filter((i) => i.terminatedAt === undefined && (i.builder || ephemeralId(i.tags)))
      .map((i) => i.id),
    ...(fn === undefined
      ? {}
      : {
          aliases: [...fn.aliases.keys()].filter((a) => !lasting.has(a)).map((a) => `${fn.name}:${a}`),
          functionUrls: [...fn.urls.keys()].filter((q) => !lasting.has(q)).map((q) => `${fn.name}:${q}`),
        }),
    targetGroups: [...twin.elb.targetGroups.values()].filter((g) => ephemeralId(g.tags)).map((g) => g.name),
    rules: [...twin.elb.rules.values()].filter((r) => ephemeralId(r.tags)).map((r) => r.arn),
    schedules: [...twin.scheduler.schedules.values()].filter((s) => s.origin === 'api').map((s) => s.name),
    tokens: twin.stepFunctions.pendingTokens.map((t) => t.state),
    locks,
  };
}

export function nothingLeft(l: Leftovers): boolean {
  return Object.values(l).every((list) => list === undefined || list.length === 0);
}

export interface StoryOptions {
  /** The platform config synthesized. @default examples/platform.yml */
  readonly configFile?: string;
  /**
   * The service's `.vouch.yml` the runs carry. @default lambdas/twin/story.vouch.yml (orders, the EC2
   * flavour); STORY_SPECS['orders-fn'] is the Lambda flavour's
   */
  readonly specFile?: string;
  /** The service's source (every release). @default examples/orders */
  readonly serviceDir?: string;
  /** Laid over the source for release 3. @default examples/orders-faulty */
  readonly faultyOverlay?: string;
  /** How many of the three releases to run. @default 3 */
  readonly releases?: number;
  /**
   * The platform config's bot rates (qa's and prod's schedules) are multiplied by this for the story.
   * @default 0.5: 80 requests a minute of twin time per environment instead of 160. All the twin's
   * Lambdas share one process, so a bot's measured latency includes what that process does meanwhile;
   * at full rate on a loaded machine the latency alarm (p99 > 800 ms) fired on unchanged code.
   */
  readonly botRateScale?: number;
  /** The twin's clock runs this many times faster than wall time. @default 15 */
  readonly timeScale?: number;
  /**
   * Release 1's canary steps after the first last at most this long, in twin seconds. @default 60:
   * release 1 is its environments' first release, so no step compares it with a baseline (the judge
   * passes each on its window's alarms and bot evidence alone) and the spec's four periods for the
   * judge would be waited for nothing. The first step keeps the spec's window: the deploy just switched
   * the environment's bots on, they first fire a minute later, and its traffic alarm (no requests) must
   * see them before the window ends (at 120 s prod's was still in ALARM). Later releases keep the spec.
   */
  readonly firstReleaseStepSeconds?: number;
  /**
   * How long builders run, images take and instances boot, in twin time. @default STORY_EC2_TIMINGS:
   * shorter than AWS's (3 and 5 minutes and 20 s, the twin's defaults), which would be three quarters
   * of the story's time; the waiters' deadlines at AWS's timings are what test/twin runs.
   */
  readonly ec2Timings?: Partial<Ec2Timings>;
  /** Wall seconds without a state change or pipeline Lambda call before a run counts as stalled. @default 60 */
  readonly stallSeconds?: number;
  /** One line per event of the story (states, outcomes); @default nothing printed */
  readonly log?: (line: string) => void;
  /**
   * How the platform config (with the story's bot rates) becomes stacks: tests pass one that shares a
   * synthesis between test files. @default synthesizeVouchApp, in startTwin
   */
  readonly synthesize?: (configFile: string) => Promise<readonly SynthesizedStack[]>;
  /** Reads the twin once the releases ended and their notifications arrived, before it stops (tests). */
  readonly inspect?: (twin: Twin) => Promise<void>;
}

/** The example's services the story plays, and the `.vouch.yml` each one's runs carry. */
export const STORY_SPECS: Readonly<Record<string, string>> = {
  orders: `${TWIN_ROOT}lambdas/twin/story.vouch.yml`,
  'orders-fn': `${TWIN_ROOT}lambdas/twin/story-fn.vouch.yml`,
};

export const STORY_DEFAULTS = {
  configFile: `${TWIN_ROOT}examples/platform.yml`,
  specFile: `${TWIN_ROOT}lambdas/twin/story.vouch.yml`,
  serviceDir: `${TWIN_ROOT}examples/orders`,
  faultyOverlay: `${TWIN_ROOT}examples/orders-faulty`,
  releases: 3,
  botRateScale: 0.5,
  timeScale: 15,
  firstReleaseStepSeconds: 60,
  stallSeconds: 60,
} as const;

/**
 * The story's EC2 timings in twin time: a builder runs 10 s, an image takes 10 s, an instance boots in
 * 10 s; bake then takes one poll of each of its waits (builder 10 s after boot, image 15 s: config.ts).
 */
export const STORY_EC2_TIMINGS: Ec2Timings = { builderRunMs: 10_000, imageMs: 10_000, bootMs: 10_000 };

export interface ReleaseOutcome {
  readonly release: StoryRelease;
  /** The execution's status, or STALLED when nothing happened for `stallSeconds`. */
  readonly status: string;
  readonly error?: string;
  /** The failure's message (a Lambda error's `errorMessage`, a verdict's JSON). */
  readonly cause?: string;
  /** The states entered, in order (`canary-shift`, ...). */
  readonly states: readonly string[];
  readonly where: readonly WhereItRuns[];
  /** Whether it ended as the story expects (`expectedEnd`). */
  readonly asExpected: boolean;
}

/**
 * A canary weight a lasting environment was given: on its host's listener rule (EC2), or as its
 * alias's additional version weight (a Lambda service, as the Lambda fake saw it).
 */
export interface WeightChange {
  /** The release whose run was going on. */
  readonly release: number;
  readonly environment: string;
  /** Percent of the rule's weight on the `canary` slot's target group, or of the alias's invocations on its additional version. */
  readonly canaryPercent: number;
}

export interface StoryResult {
  readonly releases: readonly ReleaseOutcome[];
  /** Every change of a lasting environment's canary weight, in order. */
  readonly weights: readonly WeightChange[];
  /** A Lambda service's: every change of its function's aliases as the Lambda fake applied it, by release. */
  readonly routing: readonly (RoutingChange & { readonly release: number })[];
  /** A Lambda service's: every request its function served, by alias and the version that ran. */
  readonly served: readonly ServedInvocation[];
  readonly slack: readonly SlackMessage[];
  /** Calls a role's policy refused (`Function service:Command`). */
  readonly denied: readonly string[];
  /** Lambda invocations that ran past their timeout. */
  readonly timeouts: readonly InvocationRecord[];
  /** Asynchronous invocations that failed after Lambda's retries: `function: error: message`. */
  readonly asyncFailures: readonly string[];
  readonly leftovers: Leftovers;
  /** Requests the load balancer served to instances. */
  readonly albRequests: number;
  /** True when every release ended as expected and nothing was left. */
  readonly played: boolean;
  /** The instances' service logs, one file per instance: kept only when the story did not play. */
  readonly logDir?: string;
}

/**
 * The platform config with every scenario's rates (`services[].scenarios[].rate`) multiplied by
 * `scale`, written beside the system's temporary files; the config itself when `scale` is 1.
 */
export function withBotRates(configFile: string, scale: number): string {
  if (scale === 1) return configFile;
  if (!(scale > 0)) throw new RangeError(`the bot rate scale must be > 0, got ${scale}`);
  const config = parse(readFileSync(configFile, 'utf8')) as {
    services?: { scenarios?: { rate?: Record<string, number> }[] }[];
  };
  for (const service of config.services ?? [])
    for (const scenario of service.scenarios ?? [])
      if (scenario.rate)
        scenario.rate = Object.fromEntries(Object.entries(scenario.rate).map(([k, v]) => [k, v * scale]));
  const out = join(mkdtempSync(join(tmpdir(), 'vouch-twin-story-')), basename(configFile));
  writeFileSync(out, stringify(config));
  return out;
}

/**
 * The run config with the window of every canary step after the first at most `seconds` (a step with
 * no window of its own, in the step or the spec, gets `seconds`); the first step as the spec has it.
 */
export function withLaterStepsAtMost(config: RunConfig, seconds: number): RunConfig {
  const canary = config.canary;
  if (canary === null || typeof canary !== 'object' || Array.isArray(canary)) return config;
  const steps = canarySpecOf({ config }).steps.map((s, i): JsonValue => {
    const windowSeconds = i === 0 ? s.windowSeconds : Math.min(s.windowSeconds ?? seconds, seconds);
    return windowSeconds === undefined ? { traffic: s.traffic } : { traffic: s.traffic, windowSeconds };
  });
  return { ...config, canary: { ...canary, steps } };
}

/** A Lambda error's message from the cause Step Functions keeps (`{"errorType", "errorMessage", ...}`). */
export function messageOf(cause: string | undefined): string {
  try {
    return String((JSON.parse(cause ?? '') as { errorMessage?: unknown }).errorMessage ?? cause);
  } catch {
    return cause ?? '';
  }
}

/**
 * Synthesizes the platform config, starts the twin on its templates, and runs the story's releases of
 * the service one after the other on its state machine, as the webhook Lambda starts them; then stops
 * what fires on its own, lets the notifications arrive, reads what was left and stops the twin. It
 * leaves nothing in the temporary directory but the instances' service logs of a story that did not
 * play (or threw) once an instance ran, whose folder it names in the log and the result.
 */
export async function playStory(options: StoryOptions = {}): Promise<StoryResult> {
  const o = { ...STORY_DEFAULTS, ...options };
  const log = options.log ?? (() => undefined);
  const configFile = withBotRates(o.configFile, o.botRateScale);
  const logDir = mkdtempSync(join(tmpdir(), 'vouch-twin-logs-'));
  let played = false;
  // A story that ended before any instance ran (or a Lambda service's) has no logs to keep.
  const keepLogs = () => !played && readdirSync(logDir).length > 0;
  try {
    const result = await playStoryOn(options, configFile, logDir);
    played = result.played;
    return keepLogs() ? { ...result, logDir } : result;
  } finally {
    if (configFile !== o.configFile) rmSync(dirname(configFile), { recursive: true, force: true });
    if (keepLogs()) log(`service logs kept in ${logDir} (the story did not play)`);
    else rmSync(logDir, { recursive: true, force: true });
  }
}

async function playStoryOn(options: StoryOptions, configFile: string, logDir: string): Promise<StoryResult> {
  const o = { ...STORY_DEFAULTS, ...options };
  const log = options.log ?? (() => undefined);
  const spec = parseRunSpec(readFileSync(o.specFile, 'utf8'));
  const releases = storyReleases(o.serviceDir, o.faultyOverlay).slice(0, o.releases);
  const wallStart = performance.now();
  const elapsed = () => `${((performance.now() - wallStart) / 1000).toFixed(1).padStart(6)} s`;
  log(
    `${elapsed()}  synthesizing ${o.configFile}${o.botRateScale === 1 ? '' : ` with bot rates x${o.botRateScale}`} (cdk synth, in process, offline)`,
  );
  const timeouts: InvocationRecord[] = [];
  let lastActivity = performance.now();
  const repo = `example-org/${spec.service}`;
  const twin = await startTwin({
    configFile,
    ...(options.synthesize ? { stacks: await options.synthesize(configFile) } : {}),
    // CodeBuild clones the service's repository: its folder is the service's source.
    sources: { [repo]: o.serviceDir },
    commitSources: new Map(releases.map((r) => [r.commit, r.sources])),
    timeScale: o.timeScale,
    ec2Timings: options.ec2Timings ?? STORY_EC2_TIMINGS,
    logDir,
    onInvocation: (r) => {
      // The recurring bot schedules invoke all the time: only the pipeline's functions are progress.
      if (
        r.function.startsWith('Task') ||
        r.function.startsWith('LambdaTask') ||
        r.function.startsWith('WindowEnd') ||
        r.function.startsWith('AlarmEvent')
      )
        lastActivity = performance.now();
      if (r.error === 'Sandbox.Timedout') timeouts.push(r);
    },
  });
  try {
    log(
      `${elapsed()}  twin up: ${twin.lambdas.functions.size} Lambdas, ${twin.stepFunctions.machines.size} state machines, ${twin.scheduler.schedules.size} schedules, ${twin.cloudWatch.alarms.size} alarms, table ${twin.table.tableName}; clock x${o.timeScale}`,
    );
    if (!(await twin.builds.getService(spec.service)))
      throw new TwinSetupError(
        `${spec.service} is not in the platform config's services: the deploy registered none by that name`,
      );
    const machine = twin.stepFunctions.machine(`vouch-${spec.pipe}`);
    const baseUrls = lastingBaseUrls(o.configFile, spec.service);

    // The canary weights the listener rules of the lasting environments are given, as they change.
    const hostEnvironment = new Map(Object.entries(baseUrls).map(([env, url]) => [new URL(url).host, env]));
    const weights: WeightChange[] = [];
    let current = 0;
    const record = (environment: string, canaryPercent: number) => {
      const last = weights.filter((w) => w.environment === environment).at(-1);
      if (last?.canaryPercent !== canaryPercent && !(last === undefined && canaryPercent === 0))
        weights.push({ release: current, environment, canaryPercent });
    };
    // A Lambda service's lasting environments are its function's aliases of the same names.
    const functionName =
      spec.pipe === LAMBDA_PIPE ? lambdaFunctionName(o.configFile, spec.service) : undefined;
    let routingSeen = 0;
    const routing: (RoutingChange & { release: number })[] = [];
    const readRouting = () => {
      const changes: RoutingChange[] = twin.lambdaService.routingHistory.slice(routingSeen);
      routingSeen += changes.length;
      for (const c of changes) {
        if (c.function !== functionName) continue;
        routing.push({ ...c, release: current });
        if (c.alias in baseUrls) record(c.alias, c.canaryWeight);
      }
    };
    twin.elb.onChange(() => {
      for (const rule of twin.elb.rules.values()) {
        const environment = ruleHosts(rule)
          .map((h) => hostEnvironment.get(h))
          .find((e) => e !== undefined);
        if (environment === undefined) continue;
        const groups = forwardWeights(rule);
        const total = groups.reduce((sum, g) => sum + g.weight, 0);
        const canary = groups
          .filter((g) => twin.elb.targetGroups.get(g.arn)?.tags[TAG.slot] === 'canary')
          .reduce((sum, g) => sum + g.weight, 0);
        record(environment, total === 0 ? 0 : Math.round((100 * canary) / total));
      }
    });

    twin.scheduler.start();
    twin.cloudWatch.startEvaluating();
    const outcomes: ReleaseOutcome[] = [];
    for (const release of releases) {
      current = release.number;
      const asSpec = releaseInput(spec, release, repo);
      const input =
        release.number === 1
          ? { ...asSpec, config: withLaterStepsAtMost(asSpec.config, o.firstReleaseStepSeconds) }
          : asSpec;
      const run = twin.stepFunctions.start(machine.arn, input.execution, input);
      log(
        `${elapsed()}  release ${release.number} of ${spec.service} (${release.commit.slice(0, 7)}, ${release.expected}) started on ${machine.name}`,
      );
      let printed = 0;
      let stalled = false;
      const states: string[] = [];
      lastActivity = performance.now();
      while (run.status === 'RUNNING') {
        await wallSleep(200);
        readRouting();
        for (; printed < run.events.length; printed++) {
          const e = run.events[printed];
          lastActivity = performance.now();
          if (e?.type === 'StateEntered' && e.state) {
            states.push(e.state);
            log(`${elapsed()}  > ${e.state}`);
          }
          if (e?.type === 'StateFailed')
            log(`${elapsed()}  x ${e.state}: ${e.error}: ${messageOf(e.cause).slice(0, 400)}`);
          if (e?.type === 'StateRetried') log(`${elapsed()}  ~ ${e.state} retried`);
        }
        if (performance.now() - lastActivity > o.stallSeconds * 1000) {
          stalled = true;
          break;
        }
      }
      let status: string = run.status;
      let cause = run.cause === undefined ? undefined : messageOf(run.cause);
      if (stalled) {
        const waiting = twin.stepFunctions.pendingTokens.map((t) => t.state).join(', ') || 'nothing';
        run.abort();
        status = 'STALLED';
        cause = `nothing happened for ${o.stallSeconds} s of wall time (${o.stallSeconds * o.timeScale} s of twin time); the run waited on: ${waiting}`;
      }
      await run.done.catch(() => undefined);
      readRouting();
      const where = await whereItRuns(twin, spec.service, baseUrls);
      const end = release.expectedEnd;
      const outcome: ReleaseOutcome = {
        release,
        status,
        ...(run.error && !stalled ? { error: run.error } : {}),
        ...(cause === undefined ? {} : { cause }),
        states,
        where,
        asExpected: status === end.status && (end.status === 'SUCCEEDED' || run.error === end.error),
      };
      outcomes.push(outcome);
      log(`${elapsed()}  release ${release.number}: ${describeOutcome(outcome)}`);
    }

    // The notify task's message goes SNS -> notifier Lambda -> Slack asynchronously: stop what fires
    // on its own (bot schedules, alarm evaluation), then let the invocations in flight end.
    twin.scheduler.stop();
    twin.cloudWatch.stopEvaluating();
    await twin.lambdas.settled();
    const asyncFailures = twin.lambdas.asyncFailures.map(
      (f) => `${f.function}: ${f.error}: ${f.message.replace(/\s+/g, ' ').slice(0, 200)}`,
    );
    const left = await leftovers(twin, spec.service, Object.keys(baseUrls), functionName);
    await options.inspect?.(twin);
    const denied = twin.sdk.calls
      .filter((c) => c.outcome === 'AccessDeniedException')
      .map((d) => `${d.function} ${d.service}:${d.command}`);
    log(`${elapsed()}  done`);
    return {
      releases: outcomes,
      weights,
      routing,
      served: [...twin.serviceFunctions.served],
      slack: [...twin.slack.messages],
      denied,
      timeouts,
      asyncFailures,
      leftovers: left,
      albRequests: twin.cloudWatch.data.filter(
        (d) => d.namespace === 'AWS/ApplicationELB' && d.name === 'RequestCount',
      ).length,
      played:
        outcomes.length === releases.length &&
        outcomes.every((r) => r.asExpected) &&
        nothingLeft(left) &&
        denied.length === 0,
    };
  } finally {
    await twin.stop();
  }
}

/** One line: the execution's end, why, and what runs where. */
export function describeOutcome(o: ReleaseOutcome): string {
  const where = o.where
    .map((w) => `${w.environment} v${w.recorded ?? '-'} (serving ${w.served ?? 'nothing'})`)
    .join(', ');
  const why = o.error ? `: ${o.error}: ${(o.cause ?? '').slice(0, 400)}` : o.cause ? `: ${o.cause}` : '';
  return `${o.status}${why}; where: ${where}${o.asExpected ? '' : ` (the story expects ${JSON.stringify(o.release.expectedEnd)})`}`;
}
