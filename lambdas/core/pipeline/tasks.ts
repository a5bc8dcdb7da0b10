/**
 * The pipeline's task functions: one per task type, the same behind a Lambda (lambdas/handlers/tasks)
 * and the local engine. Each takes the task payload (contract.ts), calls its ports, returns JSON that
 * the state machine stores at `$.out.<task>`. Every task reports start and done to the build data
 * repository, so a run can be audited wherever it ran.
 */
import type {
  AllocatedVersion,
  BuildEvent,
  EnvironmentState,
  LockAttempt,
  LockRequest,
  PromotionInput,
  QueuedLockRequest,
  RunFinish,
  TaskEventInput,
} from '../builds/model.ts';
import { decideCanaryStep } from '../canary/decide.ts';
import type { CanaryVerdict } from '../canary/judge.ts';
import { judgeCanaryStep } from '../canary/judge.ts';
import type { CanarySeries } from '../canary/periods.ts';
import { type AlarmsSpec, AlarmsSpecSchema, type BotScenario, BotsSpecSchema } from '../evidence/spec.ts';
import { chartFromCanaryVerdict, notificationVerdictFromCanary } from '../notify/fromCanaryVerdict.ts';
import type { NotificationInput } from '../notify/notification.ts';
import type { ResourceTags } from '../shared/tags.ts';
import { environmentId, evidenceEnvironment, runKeyOf } from '../target/naming.ts';
import type { DeployTarget, Environment, EnvironmentDescription } from '../target/port.ts';
import type { JsonValue, RunState, TaskFunction, TaskInput, TaskType } from './contract.ts';
import {
  CanaryRemovedError,
  CanaryStepFailedError,
  EnvironmentDriftError,
  LockNotHeldError,
  LockQueuedError,
  LockSupersededError,
  MissingTaskResultError,
  PipelineConfigError,
  PromotionNotServingError,
  VerificationFailedError,
} from './errors.ts';
import { canarySpecOf, imageRefOf, provisionedEnvironmentOf, runSpecOf } from './taskInputs.ts';

/** The build data repository, as the tasks use it (BuildRepository implements it). */
export interface BuildRecords {
  allocateVersion(request: {
    service: string;
    commit?: string;
    execution: string;
  }): Promise<AllocatedVersion>;
  recordRunStarted(run: {
    execution: string;
    service: string;
    version: number;
    commit: string;
    pipeShape: JsonValue;
    team?: string;
  }): Promise<void>;
  recordRunFinished(run: RunFinish): Promise<void>;
  recordTaskEvent(event: TaskEventInput): Promise<void>;
  recordPromotion(promotion: PromotionInput): Promise<void>;
  acquireOrQueueLock(request: QueuedLockRequest): Promise<LockAttempt>;
  /** The holder's heartbeat; false once the run does not hold the lock. */
  renewLock(request: LockRequest): Promise<boolean>;
  releaseLock(request: { service: string; environment: string; owner: string }): Promise<boolean>;
  /** A build's events in order: the run's own record of what it promoted. */
  listEvents(service: string, version: number): Promise<BuildEvent[]>;
  /** What the build data says runs in each environment: how a first release is told from a later one. */
  whereRuns(service: string): Promise<Record<string, EnvironmentState>>;
}

/**
 * Each slot's per-period series of an environment's traffic in a time range: CloudWatch GetMetricData
 * per slot target group on AWS, the local metric store here; the same shape either way.
 */
export interface CanarySamplesPort {
  samples(
    environmentId: string,
    fromMs: number,
    toMs: number,
    periodSeconds: number,
  ): CanarySeries | Promise<CanarySeries>;
}

/**
 * Runs a service's build or test command (locally a process; on AWS a CodeBuild build). A build is
 * asked for without a command too (`command` undefined): on AWS it still packs and uploads the artifact
 * bake images; locally, where bake takes the commit's files, there is nothing to do.
 */
export interface CommandPort {
  run(
    kind: 'build' | 'test',
    input: TaskInput,
    command: { command: string; timeoutSeconds: number } | undefined,
  ): Promise<JsonValue>;
}

/** Runs every bot scenario of the service once against an environment (functional / load tests). */
export interface BotRunsPort {
  runOnce(input: {
    run: RunState;
    environment: string;
    baseUrl: string;
    mode: 'functional' | 'load';
  }): Promise<{ requests: number; failures: number; report: JsonValue }>;
}

export interface NotifyPort {
  send(notification: NotificationInput): Promise<void>;
}

/**
 * The scheduled bots of an ephemeral environment, started when the run first deploys there and stopped
 * when it destroys it (on AWS per-run schedules; which bots run is `plannedBots`). Returns the scenarios.
 */
export interface EnvironmentBotsPort {
  start(environment: Environment, scenarios: readonly BotScenario[]): Promise<string[]>;
  stop(environmentId: string): Promise<string[]>;
}

/**
 * The alarms of a run's ephemeral (test) environment, keyed by the run (issue 12: two runs of the same
 * service never share alarms): the provision task creates them, destroy deletes them. On AWS per-run
 * CloudWatch alarms (runAlarms.ts); the local metric store keys alarms by the evidence environment.
 */
export interface RunAlarmsPort {
  /** Creates (or updates) the environment's golden-signal alarms; returns their names. */
  create(environment: Environment, alarms: AlarmsSpec): Promise<string[]>;
  /** Deletes every alarm of the environment (by id); returns their names. A no-op when none is left. */
  remove(environmentId: string): Promise<string[]>;
}

export interface PipelinePorts {
  readonly builds: BuildRecords;
  readonly target: DeployTarget;
  /** The evidence side's verify (opens a window, resumed by an alarm or its end) and decide tasks. */
  readonly verify: TaskFunction;
  readonly decide: TaskFunction;
  readonly samples: CanarySamplesPort;
  readonly bots: BotRunsPort;
  readonly commands: CommandPort;
  readonly notify: NotifyPort;
  /**
   * Bots of ephemeral environments (AWS). @default none: the local platform starts an environment's bots
   * itself at its first deploy
   */
  readonly environmentBots?: EnvironmentBotsPort;
  /** Per-run alarms of ephemeral environments (AWS); without it the platform keys alarms itself. */
  readonly runAlarms?: RunAlarmsPort;
  /** Where the service's files are, to bake from (locally the repository folder). */
  readonly source: (run: RunState) => { source: string; overlays?: readonly string[] };
  readonly now?: () => Date;
  /**
   * The deploy lock's lease, in seconds of wall time: each acting task (deploy, shift, promote) renews
   * it, and the platform's heartbeat renews it for the runs it has (the local platform converts a
   * lease on its own clock). @default 3600
   */
  readonly lockTtlSeconds?: number;
  /**
   * How long the lock task waits in the queue before handing back to the state machine (error
   * LockQueued, which it retries: the queue's bound is in the compiled Retry). @default 0
   */
  readonly lockWaitSeconds?: number;
  /** Between two looks at the queue while waiting. @default 1000 */
  readonly lockPollMs?: number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

const tagsOf = (run: RunState): ResourceTags => ({
  service: run.service,
  team: run.team,
  solution: run.solution,
});

function versionOf(input: TaskInput): number {
  const out = input.run.out.version as { version?: unknown } | undefined;
  if (typeof out?.version !== 'number') throw new MissingTaskResultError(input.task.name, 'version');
  return out.version;
}

/** The environment a task acts on: its `environment` param, else the release iteration's item. */
export function environmentOf(input: TaskInput): string {
  const param = input.task.params.environment;
  if (typeof param === 'string') return param;
  const item = input.item as { name?: unknown } | undefined;
  if (typeof item?.name === 'string') return item.name;
  throw new PipelineConfigError(
    `task ${input.task.name} has no environment (params.environment or a release item)`,
  );
}

function environmentSpec(input: TaskInput, name: string): { name: string; ephemeral: boolean } {
  const envs = input.run.config.environments as { name: string; ephemeral: boolean }[] | undefined;
  const found = envs?.find((e) => e.name === name);
  if (!found) throw new PipelineConfigError(`environment "${name}" is not in the service's environments`);
  return found;
}

/** Where the environment's evidence is filed: per run for an ephemeral environment (naming.ts). */
function evidenceKeyOf(input: TaskInput, name: string): string {
  return environmentSpec(input, name).ephemeral
    ? evidenceEnvironment(name, runKeyOf(input.run.execution))
    : name;
}

/** The traffic % of the canary step being run. */
function stepTraffic(input: TaskInput): number {
  const step = input.step;
  const traffic = typeof step === 'number' ? step : step?.traffic;
  if (typeof traffic !== 'number')
    throw new PipelineConfigError(`task ${input.task.name} runs outside a canary step`);
  return traffic;
}

/** The bot scenarios of the run's `.vouch.yml` (validated there; parsed again for their type). */
function scenariosOf(input: TaskInput): BotScenario[] {
  return BotsSpecSchema.parse(input.run.config.bots ?? {}).scenarios;
}

const json = (value: unknown): JsonValue => JSON.parse(JSON.stringify(value ?? null)) as JsonValue;

export function createPipelineTasks(ports: PipelinePorts): Record<TaskType, TaskFunction> {
  const now = ports.now ?? (() => new Date());
  const ttl = ports.lockTtlSeconds ?? 3600;
  const sleep = ports.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  /**
   * A run acts on a lasting environment only while it holds its deploy lock: renewing the lease is the
   * check (an ephemeral environment is the run's own and has no lock).
   */
  const holdsLock = async (input: TaskInput, name: string): Promise<boolean> => {
    if (environmentSpec(input, name).ephemeral) return true;
    return ports.builds.renewLock({
      service: input.run.service,
      environment: name,
      owner: input.run.execution,
      ttlSeconds: ttl,
    });
  };
  const requireLock = async (input: TaskInput, name: string): Promise<void> => {
    if (!(await holdsLock(input, name)))
      throw new LockNotHeldError(input.run.service, name, input.run.execution);
  };
  /** Whether this iteration's deploy found the environment empty in the build data (set by deploy). */
  const firstReleaseOf = (input: TaskInput): boolean => {
    const deployed = input.scope?.['deploy-canary'] as { firstRelease?: unknown } | undefined;
    return deployed?.firstRelease === true;
  };

  /**
   * The environment, provisioned if need be: a lasting one is looked up, an ephemeral one is the run's own.
   * An ephemeral one the run's provision task already created is taken from its result, so later tasks
   * (running in parallel, e.g. the tests stage) never provision it again with a new created-at tag.
   */
  const environment = async (input: TaskInput, name = environmentOf(input)): Promise<Environment> => {
    const spec = environmentSpec(input, name);
    if (spec.ephemeral) {
      const id = environmentId(input.run.service, name, runKeyOf(input.run.execution));
      const provisioned = provisionedEnvironmentOf(input.run.out, id);
      if (provisioned !== undefined) return provisioned;
    }
    return ports.target.provision(input.run.service, name, {
      ephemeral: spec.ephemeral,
      tags: tagsOf(input.run),
      runKey: runKeyOf(input.run.execution),
    });
  };

  /** The last window verdict and canary verdict of this iteration: the evidence of a promotion. */
  const evidenceOf = (input: TaskInput): JsonValue => {
    const scope = input.scope ?? {};
    const canary = scope.canary as JsonValue[] | undefined;
    return json({ canarySteps: canary ?? [], deploy: scope['deploy-canary'] ?? null });
  };

  const tasks: Record<TaskType, TaskFunction> = {
    async version(input) {
      const allocated = await ports.builds.allocateVersion({
        service: input.run.service,
        commit: input.run.commit,
        execution: input.run.execution,
      });
      await ports.builds.recordRunStarted({
        execution: input.run.execution,
        service: input.run.service,
        team: input.run.team,
        version: allocated.version,
        commit: allocated.commit,
        pipeShape: json({ pipe: input.run.pipe, shape: input.task.params.pipeShape ?? null }),
      });
      return { version: allocated.version, commit: allocated.commit };
    },

    async lock(input) {
      const env = environmentOf(input);
      const request = {
        service: input.run.service,
        environment: env,
        owner: input.run.execution,
        ttlSeconds: ttl,
        version: versionOf(input),
        // The place in the queue lapses if the waiter stops coming back (it comes back every poll).
        queueTtlSeconds: Math.max(ttl, (ports.lockWaitSeconds ?? 0) + 60),
      };
      const deadline = now().getTime() + (ports.lockWaitSeconds ?? 0) * 1000;
      for (;;) {
        const attempt = await ports.builds.acquireOrQueueLock(request);
        if (attempt.status === 'acquired') return json(attempt.lock);
        if (attempt.status === 'superseded') {
          throw new LockSupersededError(request.service, env, request.version, attempt.by, attempt.byVersion);
        }
        if (now().getTime() + (ports.lockPollMs ?? 1000) > deadline) {
          throw new LockQueuedError(request.service, env, attempt.holder);
        }
        await sleep(ports.lockPollMs ?? 1000);
      }
    },

    async unlock(input) {
      const names =
        input.task.params.all === true
          ? ((input.run.config.environments as { name: string }[]) ?? []).map((e) => e.name)
          : [environmentOf(input)];
      const released: string[] = [];
      for (const name of names) {
        const ok = await ports.builds.releaseLock({
          service: input.run.service,
          environment: name,
          owner: input.run.execution,
        });
        if (ok) released.push(name);
      }
      return { released };
    },

    async build(input) {
      const command = input.run.config.build as { command: string; timeoutSeconds: number } | undefined;
      return ports.commands.run('build', input, command);
    },

    async test(input) {
      const command = input.run.config.test as { command: string; timeoutSeconds: number } | undefined;
      if (!command) return { skipped: 'no test.command in .vouch.yml' };
      return ports.commands.run('test', input, command);
    },

    async bake(input) {
      const run = runSpecOf(input.run);
      if (!run)
        throw new PipelineConfigError('bake needs run.command in .vouch.yml (how the service starts)');
      const { source, overlays } = ports.source(input.run);
      const image = await ports.target.bake({
        service: input.run.service,
        source,
        ...(overlays ? { overlays } : {}),
        run,
        tags: tagsOf(input.run),
        commit: input.run.commit,
      });
      return json(image);
    },

    async provision(input) {
      const env = await environment(input);
      if (!env.ephemeral || !ports.runAlarms) return json(env);
      const alarms = await ports.runAlarms.create(env, AlarmsSpecSchema.parse(input.run.config.alarms ?? {}));
      return json({ ...env, alarms });
    },

    async deploy(input) {
      const image = imageRefOf(input.run.out.bake);
      if (!image) throw new MissingTaskResultError(input.task.name, 'bake');
      const env = await environment(input);
      const version = versionOf(input);
      await requireLock(input, env.name);
      const current = await ports.target.describe(env);
      // The first release of an environment has nothing to judge against: it becomes the baseline.
      // Decided from the build data (nothing recorded there), never from a missing canary.
      let firstRelease = false;
      if (input.task.params.slot === 'canary') {
        const recorded = (await ports.builds.whereRuns(input.run.service))[env.name];
        if (recorded && current.baseline === undefined)
          throw new EnvironmentDriftError(env.name, recorded.version);
        firstRelease = recorded === undefined && current.baseline === undefined;
      }
      const slot = firstRelease || input.task.params.slot !== 'canary' ? 'baseline' : 'canary';
      const weight = typeof input.task.params.weight === 'number' ? input.task.params.weight : 0;
      const described = await ports.target.deploy(image, env, { slot, weight, version });
      // Bots start once something runs there (before, every request would be a 502).
      const bots =
        env.ephemeral && ports.environmentBots
          ? { bots: await ports.environmentBots.start(env, scenariosOf(input)) }
          : {};
      return json({ ...(describe(described) as Record<string, JsonValue>), firstRelease, ...bots });
    },

    async bots(input) {
      const env = await environment(input);
      const result = await ports.bots.runOnce({
        run: input.run,
        environment: evidenceKeyOf(input, env.name),
        baseUrl: env.proxyUrl,
        mode: input.task.params.mode === 'load' ? 'load' : 'functional',
      });
      if (result.requests === 0) {
        throw new VerificationFailedError(
          `${input.task.name}: no bot scenario ran (no evidence)`,
          result.report,
        );
      }
      if (result.failures > 0) {
        throw new VerificationFailedError(
          `${input.task.name}: ${result.failures} of ${result.requests} bot requests failed`,
          result.report,
        );
      }
      return json(result);
    },

    async verify(input) {
      const env = evidenceKeyOf(input, environmentOf(input));
      const params = {
        ...input.task.params,
        environment: env,
        // A pause waits for a person (vouch promote / abort), up to the longest window allowed.
        verification:
          input.task.params.pause === true
            ? { ...(windowConfig(input) as object), windowSeconds: 86_400 }
            : windowConfig(input),
        ...(input.step !== undefined ? { step: stepTraffic(input) } : {}),
        // A hotfix's canary windows are judged against the baseline, not by the running version's alarms.
        ...(input.run.hotfix && input.step !== undefined ? { ignoreAlarms: true } : {}),
        version: versionOf(input),
      };
      const from = now().getTime();
      const result = (await ports.verify({
        ...input,
        task: { ...input.task, params: json(params) as never },
      })) as {
        verdict?: { outcome?: string };
      };
      if (result?.verdict?.outcome === 'FAILED')
        throw new VerificationFailedError(`${input.task.name}: window failed`, json(result.verdict));
      // The canary judge compares the traffic of this window, timed on the target's clock.
      return json({ ...result, samplesWindow: { from, to: now().getTime() } });
    },

    async decide(input) {
      const params = {
        ...input.task.params,
        environment: evidenceKeyOf(input, environmentOf(input)),
        verification: windowConfig(input),
      };
      const result = (await ports.decide({
        ...input,
        task: { ...input.task, params: json(params) as never },
      })) as {
        verdict?: { outcome?: string };
      };
      if (result?.verdict?.outcome !== 'PASSED') {
        throw new VerificationFailedError(`${input.task.name}: window failed`, json(result?.verdict ?? null));
      }
      return json(result);
    },

    async shift(input) {
      const env = await environment(input);
      await requireLock(input, env.name);
      if (firstReleaseOf(input)) return { skipped: 'first release of this environment', weight: 0 };
      const current = await ports.target.describe(env);
      if (!current.canary) throw new CanaryRemovedError(env.name, versionOf(input));
      return json(describe(await ports.target.shiftWeight(env, stepTraffic(input))));
    },

    async judge(input) {
      const env = await environment(input);
      const current = await ports.target.describe(env);
      const traffic = stepTraffic(input);
      // The step's window, and the one a person closed after a pause (the judge then sees both).
      const base = input.task.name.replace(/-judge$/, '');
      const windows = [input.scope?.[`${base}-verify`], input.scope?.[`${base}-pause`]]
        .map((w) => samplesWindowOf(w))
        .filter((w): w is { from: number; to: number } => w !== undefined);
      const window =
        windows.length > 0
          ? {
              samplesWindow: {
                from: Math.min(...windows.map((w) => w.from)),
                to: Math.max(...windows.map((w) => w.to)),
              },
            }
          : null;
      if (firstReleaseOf(input)) {
        // First release: nothing to compare with; the window (alarms, bot evidence) already passed.
        return { outcome: 'PASS', step: traffic, reason: 'first release: judged on its window alone' };
      }
      if (!current.canary) throw new CanaryRemovedError(env.name, versionOf(input));
      if (traffic >= 100) {
        // At full traffic the baseline serves nothing: there is no comparison to make, and the
        // window's alarms and bot evidence (which just passed) are the judge of the last step.
        return { outcome: 'PASS', step: traffic, reason: 'full traffic: judged on its window alone' };
      }
      // An extended step is judged on all of its windows: the extension adds samples, it does not restart.
      const previous = input.scope?.[input.task.name] as
        | { extensions?: number; window?: { from: number } }
        | undefined;
      const extensions = Number(previous?.extensions ?? 0);
      const to = window?.samplesWindow?.to ?? now().getTime();
      const windowFrom = window?.samplesWindow?.from ?? to - 60_000;
      const from =
        extensions > 0 && previous?.window ? Math.min(previous.window.from, windowFrom) : windowFrom;
      const config = canarySpecOf(input.run);
      const samples = await ports.samples.samples(env.id, from, to, config.periodSeconds);
      const verdict = judgeCanaryStep({ ...samples, config });
      const decision = decideCanaryStep(verdict, extensions, config);
      const result = { ...verdict, step: traffic, decision, window: { from, to } };
      if (decision.action === 'advance') return json({ ...result, outcome: 'PASS' });
      if (decision.action === 'extend')
        return json({ ...result, outcome: 'EXTEND', extensions: extensions + 1 });
      if (decision.action === 'pause') return json({ ...result, outcome: 'PAUSE' });
      throw new CanaryStepFailedError(env.name, traffic, verdict, decision.reason, { from, to });
    },

    async promote(input) {
      const env = await environment(input);
      const version = versionOf(input);
      await requireLock(input, env.name);
      const current = await ports.target.describe(env);
      let described = current;
      if (!firstReleaseOf(input)) {
        if (current.canary?.version !== String(version)) throw new CanaryRemovedError(env.name, version);
        described = await ports.target.promote(env);
      }
      // Recorded only for what the target reports serving: all traffic on this version, no canary.
      described = await ports.target.describe(env);
      if (described.baseline?.version !== String(version) || described.canary !== undefined) {
        throw new PromotionNotServingError(env.name, version, described.baseline?.version);
      }
      await ports.builds.recordPromotion({
        service: input.run.service,
        version,
        environment: env.name,
        kind: 'PROMOTED',
        evidence: evidenceOf(input),
        execution: input.run.execution,
      });
      return json(describe(described));
    },

    async rollback(input) {
      const env = await environment(input);
      // A run that does not hold the lock (it never got it, or lost it) deployed nothing there that is
      // still its own: rolling back would remove another run's canary.
      if (!(await holdsLock(input, env.name))) {
        return {
          skipped: `this run does not hold the deploy lock of ${env.name}: nothing of its own to roll back`,
        };
      }
      // At once, before anything is recorded: users are on the canary until this returns.
      const described = await ports.target.rollback(env);
      const evidence = parseCause(input.error);
      await ports.builds.recordPromotion({
        service: input.run.service,
        version: versionOf(input),
        environment: env.name,
        kind: 'ROLLED_BACK',
        evidence: json({ error: input.error?.Error ?? null, evidence }),
        execution: input.run.execution,
      });
      await ports.notify.send(rollbackNotification(input, env.name, evidence, now()));
      return json({ ...(describe(described) as Record<string, JsonValue>), rolledBack: true });
    },

    async destroy(input) {
      const name = environmentOf(input);
      if (!environmentSpec(input, name).ephemeral) {
        throw new PipelineConfigError(`destroy refuses "${name}": only ephemeral environments are destroyed`);
      }
      // Looked up by its id, not provisioned: a retried destroy must not create what it just removed.
      const id = environmentId(input.run.service, name, runKeyOf(input.run.execution));
      // Bots first: a bot hitting a target that is gone would count as the service failing.
      const botsStopped = (await ports.environmentBots?.stop(id)) ?? [];
      const alarmsDeleted = (await ports.runAlarms?.remove(id)) ?? [];
      await ports.target.destroy({ id });
      return { destroyed: id, botsStopped, ...(ports.runAlarms ? { alarmsDeleted } : {}) };
    },

    async report(input): Promise<JsonValue> {
      if (input.task.params.event === 'PASSED_TEST') {
        await ports.builds.recordPromotion({
          service: input.run.service,
          version: versionOf(input),
          environment: environmentOf(input),
          kind: 'PASSED_TEST',
          evidence: json(input.run.out['verify-test'] ?? null),
          execution: input.run.execution,
        });
        return { recorded: 'PASSED_TEST' };
      }
      const version = input.run.out.version as { version?: number } | undefined;
      if (typeof version?.version !== 'number') return { skipped: 'no version was allocated' };
      const outcome = input.run.error ? 'FAILED' : 'SUCCEEDED';
      await ports.builds.recordRunFinished({
        execution: input.run.execution,
        service: input.run.service,
        version: version.version,
        outcome,
        report: json({ error: input.run.error ?? null }),
      });
      return { outcome };
    },

    async notify(input) {
      const version = (input.run.out.version as { version?: number } | undefined)?.version ?? 'none';
      const failed = input.run.error !== undefined;
      // What this run promoted, as it recorded it: a run stopped early (run-to) released nowhere.
      const promoted =
        typeof version === 'number'
          ? (await ports.builds.listEvents(input.run.service, version))
              .filter((e) => e.kind === 'PROMOTION' && e.promotion === 'PROMOTED')
              .map((e) => (e as { environment: string }).environment)
          : [];
      const at = now().toISOString();
      await ports.notify.send({
        id: `${input.run.execution}#${input.task.name}`,
        service: input.run.service,
        team: input.run.team,
        version,
        commit: input.run.commit,
        environment: 'pipeline',
        event: failed ? 'RUN_FAILED' : 'RUN_SUCCEEDED',
        verdict: {
          outcome: failed ? 'FAIL' : 'PASS',
          summary: failed
            ? `${input.run.error?.Error}: ${summaryOf(parseCause(input.run.error)).slice(0, 500)}`
            : promoted.length > 0
              ? `version ${version} released to ${promoted.join(', ')}`
              : `version ${version}: the run succeeded without releasing to any environment`,
        },
        window: { start: at, end: at },
      });
      return { sent: true };
    },
  };

  return Object.fromEntries(
    Object.entries(tasks).map(([type, fn]) => [type, reporting(type as TaskType, fn, ports.builds, now)]),
  ) as Record<TaskType, TaskFunction>;
}

/** The verification settings of a window: the service's, with a canary step's own window length. */
function windowConfig(input: TaskInput): JsonValue {
  const base = (input.run.config.verification ?? {}) as Record<string, JsonValue>;
  const step = input.step;
  const windowSeconds =
    typeof step === 'object' && step.windowSeconds ? step.windowSeconds : base.windowSeconds;
  return { ...base, ...(windowSeconds !== undefined ? { windowSeconds } : {}) };
}

function describe(d: EnvironmentDescription): JsonValue {
  return json({
    environment: d.environment.id,
    weight: d.weight,
    proxyUrl: d.proxyUrl,
    baseline: d.baseline ? { version: d.baseline.version, image: d.baseline.image } : null,
    canary: d.canary ? { version: d.canary.version, image: d.canary.image } : null,
  });
}

/** A task error's Cause is the JSON of the decision when Vouch raised it; otherwise its text. */
function parseCause(error: TaskInput['error']): JsonValue {
  if (!error) return null;
  try {
    const parsed = JSON.parse(error.Cause) as JsonValue & { errorMessage?: string };
    // On AWS a Lambda's error arrives wrapped: {errorType, errorMessage, trace}.
    if (
      parsed &&
      typeof parsed === 'object' &&
      'errorMessage' in parsed &&
      typeof parsed.errorMessage === 'string'
    ) {
      try {
        return JSON.parse(parsed.errorMessage) as JsonValue;
      } catch {
        return parsed.errorMessage;
      }
    }
    return parsed;
  } catch {
    return error.Cause;
  }
}

/**
 * The time range of a window's traffic. Locally the verify task measures it; on AWS the task only
 * opens the window and the state's output is the verdict the resumer sent, with the window's times.
 */
function samplesWindowOf(output: JsonValue | undefined): { from: number; to: number } | undefined {
  const o = output as
    | { samplesWindow?: { from: number; to: number }; verdict?: Record<string, unknown> }
    | undefined;
  if (o?.samplesWindow) return o.samplesWindow;
  const from = Date.parse(String(o?.verdict?.windowStart ?? ''));
  const to = Date.parse(String(o?.verdict?.decidedAt ?? o?.verdict?.windowEnd ?? ''));
  return Number.isFinite(from) && Number.isFinite(to) ? { from, to } : undefined;
}

/** One line for people: a decision's own summary when it has one. */
function summaryOf(cause: JsonValue): string {
  if (cause && typeof cause === 'object' && !Array.isArray(cause)) {
    if (typeof cause.summary === 'string') return cause.summary;
    if (typeof cause.reason === 'string') return cause.reason;
  }
  return typeof cause === 'string' ? cause : JSON.stringify(cause);
}

/** The Slack message of a rollback: which signal failed, observed vs allowed, the window, a chart. */
function rollbackNotification(
  input: TaskInput,
  environment: string,
  evidence: JsonValue,
  decidedAt: Date,
): NotificationInput {
  const at = decidedAt.toISOString();
  const e = (evidence ?? {}) as {
    verdict?: CanaryVerdict;
    step?: number;
    window?: { from: number; to: number };
    reason?: string;
    windowStart?: string;
    windowEnd?: string;
    summary?: string;
  };
  const version = (input.run.out.version as { version?: number } | undefined)?.version ?? 'unknown';
  const start = e.window ? new Date(e.window.from).toISOString() : (e.windowStart ?? at);
  const end = e.window ? new Date(e.window.to).toISOString() : (e.windowEnd ?? at);
  const chart =
    e.verdict &&
    chartFromCanaryVerdict(e.verdict, {
      service: input.run.service,
      environment,
      ...(typeof e.step === 'number' ? { step: e.step } : {}),
      versions: { canary: `v${version}` },
    });
  return {
    id: `${input.run.execution}#rollback#${environment}`,
    service: input.run.service,
    team: input.run.team,
    version,
    commit: input.run.commit,
    environment,
    ...(typeof e.step === 'number' ? { step: e.step } : {}),
    event: 'ROLLED_BACK',
    verdict: e.verdict
      ? {
          ...notificationVerdictFromCanary(e.verdict),
          summary: e.reason ?? 'canary worse than the running version',
        }
      : {
          outcome: 'FAIL',
          summary: `${input.error?.Error ?? 'failure'}: ${summaryOf(evidence).slice(0, 800)}`,
        },
    window: { start, end },
    ...(chart ? { chart } : {}),
  };
}

/** Wraps a task so its start and end (with outcome and report) reach the build data repository. */
function reporting(type: TaskType, fn: TaskFunction, builds: BuildRecords, now: () => Date): TaskFunction {
  return async (input) => {
    const version = (input.run.out.version as { version?: number } | undefined)?.version;
    const environment = (() => {
      try {
        return environmentOf(input);
      } catch {
        return undefined;
      }
    })();
    const record = async (phase: 'start' | 'done', outcome?: 'SUCCEEDED' | 'FAILED', report?: JsonValue) => {
      if (version === undefined) return; // before the version task: nothing to attach events to
      await builds.recordTaskEvent({
        execution: input.run.execution,
        service: input.run.service,
        version,
        task: input.step !== undefined ? `${input.task.name}@${stepTraffic(input)}` : input.task.name,
        type,
        environment,
        phase,
        outcome,
        at: now().toISOString(),
        report,
      });
    };
    await record('start');
    try {
      const result = await fn(input);
      await record('done', 'SUCCEEDED', summarize(result));
      return result;
    } catch (e) {
      const error = e as Error;
      await record('done', 'FAILED', json({ error: error.name, cause: summarize(error.message) })).catch(
        () => {},
      );
      throw e;
    }
  };
}

/** Reports are kept small: the build data repository refuses oversized reports. */
function summarize(value: unknown): JsonValue {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
  if (text.length <= 16_000) return typeof value === 'string' ? value : (json(value) as JsonValue);
  return { truncated: true, head: text.slice(0, 16_000) };
}
