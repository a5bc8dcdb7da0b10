/**
 * The whole platform on one machine, no AWS account: dynalite as the build data table, the local
 * Step Functions engine, the local deploy target (processes behind a weighted proxy), the bot
 * scheduler, the metric store with CloudWatch-semantics alarms, task tokens for verification windows,
 * the notifier (Slack or a local outbox) and the webhook endpoint. Each piece is the local adapter of
 * a port the AWS stacks implement with managed services; the pipeline code is the same.
 */
import '../polyfills.ts';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ScaledClock } from '../../../core/evidence/clock.ts';
import { TaskFailure } from '../../../core/evidence/errors.ts';
import { LocalTaskTokens } from '../../../core/evidence/localTaskTokens.ts';
import { resumeAtWindowEnd, resumeOnAlarm, type WindowPorts } from '../../../core/evidence/window.ts';
import { createWindowPorts } from '../../../core/evidence/windowPorts.ts';
import { parseNotification } from '../../../core/notify/notification.ts';
import { botRuns } from '../../../core/pipeline/botRuns.ts';
import type { RunInput, TaskFunction } from '../../../core/pipeline/contract.ts';
import { createDecideTask, createLocalVerifyTask } from '../../../core/pipeline/evidenceTasks.ts';
import { type ReconcileReport, reconcileService } from '../../../core/pipeline/reconcile.ts';
import { createPipelineTasks, type PipelinePorts } from '../../../core/pipeline/tasks.ts';
import { type AslDefinition, compileFlavour, type ServiceSpec } from '../../../core/spec/index.ts';
import {
  parseSweeperSettings,
  type SweeperSettings,
  type SweeperSettingsInput,
} from '../../../core/sweeper/config.ts';
import { type SweepReport, sweep, sweepRecordsByService } from '../../../core/sweeper/sweep.ts';
import { SlotSampleRecorder } from '../../../core/target/slotEvidence.ts';
import { BuildRepository } from '../../dynamo/buildRepository.ts';
import { DynamoDeliveryLedger } from '../../dynamo/deliveryLedger.ts';
import { DynamoWindowStore } from '../../dynamo/windowStore.ts';
import type { NotificationSink } from '../../slack/index.ts';
import { openPersistedTable } from '../buildData.ts';
import { type LocalTable, startLocalTable } from '../dynalite.ts';
import { type HistoryEntry, type LocalExecutionResult, runPipeLocally } from '../engine.ts';
import { exportCommit } from '../gitExport.ts';
import { repoName, workingCopySpecLoader } from '../gitWorkingCopy.ts';
import { localMetricSink } from '../metrics/localMetricSink.ts';
import { LocalMetricStore } from '../metrics/metricStore.ts';
import { createLocalNotificationSink } from '../notificationSink.ts';
import { LocalScheduler } from '../scheduler.ts';
import { shellCommands } from '../shellCommands.ts';
import { localSweepPorts } from '../sweeper.ts';
import { LocalDeployTarget, liveServiceProcessCount } from '../target/index.ts';
import { createLocalWebhookServer, type LocalWebhookServer } from '../webhookServer.ts';
import { type ControlApi, startControlApi } from './controlApi.ts';
import { EnvironmentWatcher, evidenceKeyOf } from './environmentWatcher.ts';
import {
  UnknownLocalEnvironmentError,
  UnknownLocalExecutionError,
  UnknownLocalServiceError,
} from './errors.ts';
import type {
  AbortOutcome,
  OperatorControls,
  PlatformStatus,
  PromoteOutcome,
  RollbackOutcome,
} from './operatorControls.ts';
import { platformSource } from './platformSource.ts';

export { UnknownLocalServiceError } from './errors.ts';
/**
 * The deploy lock's lease, in seconds of the platform's clock: a run that stops renewing it (the
 * platform was killed) loses it after this long, 5 minutes at 1x, 15 s at 20x. Never under
 * MIN_LEASE_WALL_SECONDS of wall time, so a busy machine's pauses cannot make a live holder lose it.
 */
export const LOCK_LEASE_CLOCK_SECONDS = 300;
const MIN_LEASE_WALL_SECONDS = 10;
/** How long the lock task waits in the queue, on the platform's clock, before the state machine's retry. */
const LOCK_WAIT_CLOCK_SECONDS = 3600;

export interface LocalPlatformOptions {
  /** Where `.vouch/` (data, images, outbox) lives. */
  readonly cwd: string;
  /** Clock seconds per wall second for windows, alarm periods and bot rates. @default 1 */
  readonly timeScale?: number;
  /** Keep the build data on disk under `.vouch/data` (restarting keeps history). @default true */
  readonly persist?: boolean;
  /**
   * Start a new history knowingly when `.vouch/data` is lost (moved aside, not deleted); without it a
   * lost or unreadable folder stops the start with BuildDataLostError. @default false
   */
  readonly resetBuildData?: boolean;
  /** Environment for the notifier: SLACK_BOT_TOKEN, SLACK_API_URL. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Team -> Slack channel. @default '#<team>' */
  readonly teamChannels?: Readonly<Record<string, string>>;
  /** Webhook endpoint port on 127.0.0.1. @default 0 (any) */
  readonly webhookPort?: number;
  /** The webhook secret the local endpoint checks. @default a random one, written to .vouch/webhook-secret */
  readonly webhookSecret?: string;
  /** Control API and dashboard port on 127.0.0.1. @default 0 (any) */
  readonly apiPort?: number;
  /** Progress lines. @default console.log */
  readonly out?: (line: string) => void;
  /**
   * The periodic sweep of what ended runs left (lambdas/core/sweeper): how many images to keep, how
   * often (minutes of the platform's clock), the grace period. Bad values stop the start with
   * SweepConfigError. @default { keepImages: 3, everyMinutes: 60, graceMinutes: 15 }
   */
  readonly sweeper?: SweeperSettingsInput;
}

interface ServiceEntry {
  readonly spec: ServiceSpec;
  /** The service's git working copy. */
  readonly repoDir: string;
  /** owner/name as pushes name it (gitWorkingCopy.repoName); undefined when repoDir is not a git repo. */
  readonly repo?: string;
}

export interface RunningExecution {
  readonly name: string;
  readonly service: string;
  readonly commit: string;
  readonly startedAt: string;
  readonly done: Promise<LocalExecutionResult>;
  /** Stops the run as StopExecution does (LocalPlatform.stopExecution). */
  readonly stop: AbortController;
  result?: LocalExecutionResult;
}

export class LocalPlatform implements OperatorControls {
  readonly stateDir: string;
  readonly clock: ScaledClock;
  readonly metrics: LocalMetricStore;
  readonly samples: SlotSampleRecorder;
  readonly tokens = new LocalTaskTokens();
  readonly executions = new Map<string, RunningExecution>();
  readonly services = new Map<string, ServiceEntry>();
  /** Every run's live progress, for status views and tests. */
  readonly history = new Map<string, HistoryEntry[]>();
  private readonly progressListeners = new Set<(execution: string, entry: HistoryEntry) => void>();
  private readonly out: (line: string) => void;

  private constructor(
    readonly options: LocalPlatformOptions,
    readonly table: LocalTable,
    readonly builds: BuildRepository,
    readonly windows: DynamoWindowStore,
    readonly target: LocalDeployTarget,
    readonly scheduler: LocalScheduler,
    readonly notifier: NotificationSink,
    clock: ScaledClock,
    metrics: LocalMetricStore,
  ) {
    this.stateDir = join(options.cwd, '.vouch');
    this.clock = clock;
    this.metrics = metrics;
    // The judge's periods are clock seconds, like windows and alarm periods; the proxy times on the wall.
    this.samples = new SlotSampleRecorder({
      clockOf: (wall) => clock.now() - (Date.now() - wall) * clock.scale,
    });
    this.out = options.out ?? ((line) => console.log(line));
    this.environments = new EnvironmentWatcher({
      specOf: (service) => this.services.get(service)?.spec,
      metrics,
      scheduler,
      target,
    });
  }

  /** Alarms and bots of each environment something runs in. */
  private readonly environments: EnvironmentWatcher;

  webhook?: LocalWebhookServer;
  webhookSecret = '';
  api?: ControlApi;

  static async start(options: LocalPlatformOptions): Promise<LocalPlatform> {
    // Refused before anything starts: a bad keepImages must not sweep with some other number.
    const sweeper = parseSweeperSettings(options.sweeper ?? {}, 'sweeper');
    const stateDir = join(options.cwd, '.vouch');
    mkdirSync(stateDir, { recursive: true });
    const clock = new ScaledClock(options.timeScale ?? 1);
    const table =
      options.persist === false
        ? await startLocalTable({})
        : await openPersistedTable({
            dataDir: join(stateDir, 'data'),
            reset: options.resetBuildData === true,
          });
    const builds = new BuildRepository({ client: table.client, tableName: table.tableName });
    const windows = new DynamoWindowStore({
      client: table.client,
      tableName: table.tableName,
      now: () => new Date(clock.now()),
    });
    const metrics = new LocalMetricStore({ clock });
    const scheduler = new LocalScheduler({ clock, fetch: globalThis.fetch, sink: localMetricSink(metrics) });
    const target = new LocalDeployTarget({ dataDir: join(stateDir, 'target'), clock });
    const env = options.env ?? process.env;
    const platformRef: { current?: LocalPlatform } = {};
    const notifier = createLocalNotificationSink({
      env,
      cwd: options.cwd,
      teamChannels: options.teamChannels ?? {},
      print: (text) => platformRef.current?.out(text),
    });
    const platform = new LocalPlatform(
      options,
      table,
      builds,
      windows,
      target,
      scheduler,
      notifier,
      clock,
      metrics,
    );
    platformRef.current = platform;
    target.addRequestObserver(platform.samples.observe);
    metrics.onAlarmStateChange(async (change) => {
      if (change.state === 'ALARM') platform.out(`  ! alarm ${change.alarmName}: ${change.reason}`);
      await resumeOnAlarm(change, platform.windowPorts());
    });
    metrics.start();
    scheduler.start();
    platform.startHeartbeat();
    platform.startSweeper(sweeper);
    await platform.startWebhook();
    platform.api = await startControlApi(platform, platformSource(platform), options.apiPort ?? 0);
    platform.writeInfo();
    return platform;
  }

  /** Ports of the verification windows: resumed by the metric store's alarms and the scheduler's window ends. */
  windowPorts(): WindowPorts {
    return createWindowPorts({
      windows: this.windows,
      evidence: this.metrics,
      tokens: this.tokens,
      clock: this.clock,
    });
  }

  private async startWebhook(): Promise<void> {
    const secretFile = join(this.stateDir, 'webhook-secret');
    this.webhookSecret =
      this.options.webhookSecret ?? (await import('node:crypto')).randomBytes(24).toString('base64url');
    writeFileSync(secretFile, this.webhookSecret, { mode: 0o600 });
    this.webhook = await createLocalWebhookServer({
      port: this.options.webhookPort ?? 0,
      deps: {
        secret: this.webhookSecret,
        loadSpec: workingCopySpecLoader((repo) => this.repoDirOf(repo)),
        // The same ledger as on AWS, in this platform's table: one run per push, one body per delivery id.
        ledger: new DynamoDeliveryLedger({ client: this.table.client, tableName: this.table.tableName }),
        starter: {
          start: async (name, input) => {
            const existing = this.executions.get(name);
            if (existing) return { executionArn: name, alreadyExisted: true };
            this.startExecution(name, input);
            return { executionArn: name, alreadyExisted: false };
          },
        },
        logger: {
          info: (message, extra) => this.out(`  webhook: ${message} ${JSON.stringify(extra)}`),
          warn: (message, extra) => this.out(`  webhook: ${message} ${JSON.stringify(extra)}`),
          error: (message, extra) => this.out(`  webhook error: ${message} ${JSON.stringify(extra)}`),
        },
      },
    });
  }

  /** `.vouch/platform.json`: how the CLI (vouch history, trigger, status) finds this platform. */
  private writeInfo(): void {
    writeFileSync(
      join(this.stateDir, 'platform.json'),
      `${JSON.stringify(
        {
          pid: process.pid,
          dynamoEndpoint: this.table.endpoint,
          tableName: this.table.tableName,
          webhookUrl: this.webhook?.url,
          apiUrl: this.api?.url,
          webhookSecretFile: join(this.stateDir, 'webhook-secret'),
          services: Object.fromEntries([...this.services].map(([name, s]) => [name, s.repoDir])),
        },
        null,
        2,
      )}\n`,
    );
  }

  /** The working copy registered as exactly `repo` (owner/name, case-insensitive like the git hosts). */
  private repoDirOf(repo: string): string | undefined {
    const wanted = repo.toLowerCase();
    for (const entry of this.services.values()) {
      if (entry.repo?.toLowerCase() === wanted) return entry.repoDir;
    }
    return undefined;
  }

  /** Makes a service known: registered in the build data repository, its webhook pushes accepted. */
  async registerService(spec: ServiceSpec, repoDir: string): Promise<void> {
    const repo = await repoName(repoDir).catch(() => undefined);
    if (repo === undefined)
      this.out(`  ${spec.service}: ${repoDir} is not a git working copy; no push will match it`);
    else this.out(`  ${spec.service}: webhook pushes of ${repo} start its pipe`);
    this.services.set(spec.service, {
      spec,
      repoDir: resolve(repoDir),
      ...(repo === undefined ? {} : { repo }),
    });
    await this.builds.registerService({
      service: spec.service,
      team: spec.team,
      solution: spec.solution,
      repo: resolve(repoDir),
    });
    if (!this.reconciled.has(spec.service)) {
      this.reconciled.add(spec.service);
      await this.reconcile(spec.service);
    }
    this.writeInfo();
  }

  onProgress(listener: (execution: string, entry: HistoryEntry) => void): () => void {
    this.progressListeners.add(listener);
    return () => this.progressListeners.delete(listener);
  }

  /**
   * Starts a run of a service's pipe (the webhook's starter); progress goes to listeners. A second
   * start with the same name returns the first run, as Step Functions does for a Standard workflow.
   */
  startExecution(name: string, input: RunInput, definition?: AslDefinition): RunningExecution {
    const existing = this.executions.get(name);
    if (existing) return existing;
    const entry = this.services.get(input.service);
    if (!entry) throw new UnknownLocalServiceError(input.service, [...this.services.keys()]);
    definition ??= compileFlavour(entry.spec.pipe);
    const history: HistoryEntry[] = [];
    this.history.set(name, history);
    const stop = new AbortController();
    const done = runPipeLocally(definition, input, {
      name,
      signal: stop.signal,
      tasks: createPipelineTasks(this.pipelinePorts(entry, name)),
      onHistory: (h) => {
        history.push(h);
        for (const listener of this.progressListeners) listener(name, h);
      },
    });
    const execution: RunningExecution = {
      name,
      service: input.service,
      commit: input.commit,
      startedAt: new Date().toISOString(),
      done,
      stop,
    };
    done.then((result) => {
      execution.result = result;
    });
    this.executions.set(name, execution);
    return execution;
  }

  /** The ports the pipeline tasks run on, here, for one execution. */
  pipelinePorts(entry: ServiceEntry, execution: string): PipelinePorts {
    const windowPorts = this.windowPorts();
    const windowEnds = this.scheduler.windowEnds((window) => resumeAtWindowEnd(window, windowPorts));
    const target = this.environments.watching(this.target);
    return {
      builds: this.builds,
      target: {
        ...target,
        // What a run baked is kept by the sweeper while the run runs, however old its content is.
        bake: async (request) => {
          const image = await target.bake(request);
          this.bakedBy.set(execution, [...(this.bakedBy.get(execution) ?? []), image.id]);
          return image;
        },
      },
      verify: this.abortable(
        createLocalVerifyTask({
          windows: this.windows,
          clock: this.clock,
          scheduler: windowEnds,
          tokens: this.tokens,
        }),
      ),
      decide: createDecideTask({ windows: this.windows, evidence: this.metrics, clock: this.clock }),
      samples: this.samples,
      bots: botRuns({ fetch: globalThis.fetch, clock: this.clock, sink: localMetricSink(this.metrics) }),
      commands: shellCommands(entry.repoDir),
      notify: {
        send: async (notification) => {
          const parsed = parseNotification({ channel: this.channelOf(notification.team), ...notification });
          await this.notifier.deliver(parsed);
        },
      },
      source: (r) => ({ source: exportCommit(this.stateDir, entry.repoDir, r.service, r.commit) }),
      now: () => new Date(),
      lockTtlSeconds: this.lockLeaseSeconds,
      lockWaitSeconds: LOCK_WAIT_CLOCK_SECONDS / this.clock.scale,
      lockPollMs: 250,
    };
  }

  /** A run a person aborted fails at its next window instead of opening it. */
  private abortable(verify: TaskFunction): TaskFunction {
    return async (input) => {
      if (this.aborted.has(input.run.execution)) {
        throw new TaskFailure('Aborted', JSON.stringify({ summary: 'aborted by a person' }));
      }
      return verify(input);
    };
  }

  private channelOf(team: string): string {
    return this.options.teamChannels?.[team] ?? `#${team}`;
  }

  /** Where the target journals what it creates (priced by the cost estimate). */
  get resourceJournal(): string {
    return join(this.stateDir, 'target', 'resources.jsonl');
  }

  /**
   * Open windows of a service, in the order of its environments: the lasting ones, and the test
   * environment of each run that has one here (its windows carry the run in their key).
   */
  private async openWindowsOf(service: string) {
    const entry = this.services.get(service);
    if (!entry) throw new UnknownLocalServiceError(service, [...this.services.keys()]);
    const live = this.target.list().filter((e) => e.service === service && e.ephemeral);
    const keys = entry.spec.environments.flatMap((e) =>
      e.ephemeral ? live.filter((l) => l.name === e.name).map((l) => evidenceKeyOf(l)) : [e.name],
    );
    const found = await Promise.all(keys.map((key) => this.windows.findOpenWindow(service, key)));
    return found.filter((w) => w !== undefined);
  }

  async status(service?: string): Promise<PlatformStatus> {
    const names = service ? [service] : [...this.services.keys()];
    const services = await Promise.all(
      names.map(async (name) => {
        const entry = this.services.get(name);
        if (!entry) throw new UnknownLocalServiceError(name, [...this.services.keys()]);
        return { service: name, team: entry.spec.team, where: await this.builds.whereRuns(name) };
      }),
    );
    const runs = [...this.executions.values()]
      .filter((r) => names.includes(r.service))
      .map((r) => ({
        name: r.name,
        service: r.service,
        commit: r.commit,
        startedAt: r.startedAt,
        status: r.result?.status ?? 'RUNNING',
        ...(r.result?.error ? { error: r.result.error } : {}),
        recent: (this.history.get(r.name) ?? [])
          .filter((h) => h.kind === 'succeeded' || h.kind === 'failed')
          .slice(-6)
          .map((h) => `${h.kind === 'failed' ? 'x' : 'ok'} ${h.state}${h.where ? ` [${h.where}]` : ''}`),
      }))
      .reverse();
    const openWindows = (await Promise.all(names.map((n) => this.openWindowsOf(n)))).flat().map((w) => ({
      service: w.service,
      environment: w.environment,
      execution: w.execution,
      version: w.version,
      step: w.step,
      startedAt: w.startedAt,
      endsAt: w.endsAt,
      // The window's times are on the platform's clock (npm start runs it 20x); people wait in real time.
      closesInRealSeconds: Math.max(
        0,
        Math.round((Date.parse(w.endsAt) - this.clock.now()) / this.clock.scale),
      ),
    }));
    return { services, runs, openWindows };
  }

  /** `vouch promote`: closes the service's open window now; the verdict uses the evidence so far. */
  async promoteNow(service: string, environment?: string): Promise<PromoteOutcome> {
    if (environment !== undefined) this.environmentOf(service, environment);
    const windows = (await this.openWindowsOf(service)).filter(
      (w) => !environment || w.environment === environment,
    );
    if (windows.length === 0) return { done: false, reason: `no open verification window for ${service}` };
    const outcomes = [];
    for (const w of windows) {
      const outcome = await resumeAtWindowEnd(w, this.windowPorts());
      outcomes.push({
        environment: w.environment,
        step: w.step,
        verdict: outcome?.verdict.outcome ?? 'already closed',
      });
    }
    return { done: true, windows: outcomes };
  }

  /** `vouch abort`: the service's runs fail at their open window (or the next one) and roll back. */
  async abort(service: string): Promise<AbortOutcome> {
    const running = [...this.executions.values()].filter((r) => r.service === service && !r.result);
    for (const r of running) this.aborted.add(r.name);
    const windows = await this.openWindowsOf(service);
    for (const w of windows) {
      if (await this.windows.closeWindow(w.service, w.environment, w.token)) {
        await this.tokens.fail(
          w.token,
          'Aborted',
          JSON.stringify({ summary: `aborted by a person during the ${w.environment} window` }),
        );
      }
    }
    return { aborted: running.map((r) => r.name), windowsFailed: windows.length };
  }

  /** `vouch rollback`: at once, the canary of an environment gets no traffic and stops; its run rolls back. */
  async rollbackNow(service: string, environment: string): Promise<RollbackOutcome> {
    this.environmentOf(service, environment);
    const env = this.target.list().find((e) => e.service === service && e.name === environment);
    if (!env) return { done: false, reason: `${service} has no ${environment} environment on this machine` };
    const before = await this.target.describe(env);
    const after = await this.target.rollback(env);
    const window = await this.windows.findOpenWindow(service, environment);
    if (window && (await this.windows.closeWindow(service, environment, window.token))) {
      await this.tokens.fail(
        window.token,
        'ManualRollback',
        JSON.stringify({ summary: `rolled back by a person in ${environment}` }),
      );
    }
    return {
      done: before.canary !== undefined,
      reason: before.canary
        ? `canary v${before.canary.version} stopped; all traffic on v${after.baseline?.version}`
        : 'no canary was running',
    };
  }

  readonly aborted = new Set<string>();

  /** Refuses a service or environment name the platform does not know (the control API answers 404). */
  private environmentOf(service: string, environment: string): void {
    const entry = this.services.get(service);
    if (!entry) throw new UnknownLocalServiceError(service, [...this.services.keys()]);
    const known = entry.spec.environments.map((e) => e.name);
    if (!known.includes(environment)) throw new UnknownLocalEnvironmentError(service, environment, known);
  }

  /** The deploy lock's lease in wall seconds: LOCK_LEASE_CLOCK_SECONDS of the platform's clock. */
  get lockLeaseSeconds(): number {
    return Math.max(MIN_LEASE_WALL_SECONDS, LOCK_LEASE_CLOCK_SECONDS / this.clock.scale);
  }

  private heartbeat?: NodeJS.Timeout;
  /**
   * The holders' heartbeat: every third of a lease, each run still running renews the locks it holds
   * (a conditional update that changes nothing for a lock it does not hold). A run that stopped, with
   * the platform killed under it, renews nothing, and its lock lapses after one lease.
   */
  private startHeartbeat(): void {
    this.heartbeat = setInterval(
      () => {
        void this.renewLocks().catch((error: unknown) =>
          this.out(`  ! lock heartbeat: ${error instanceof Error ? error.message : String(error)}`),
        );
      },
      (this.lockLeaseSeconds * 1000) / 3,
    );
    this.heartbeat.unref();
  }

  private async renewLocks(): Promise<void> {
    for (const execution of this.executions.values()) {
      if (execution.result) continue;
      const entry = this.services.get(execution.service);
      for (const env of entry?.spec.environments.filter((e) => !e.ephemeral) ?? []) {
        await this.builds.renewLock({
          service: execution.service,
          environment: env.name,
          owner: execution.name,
          ttlSeconds: this.lockLeaseSeconds,
        });
      }
    }
  }

  private readonly reconciled = new Set<string>();
  readonly reconciliations: ReconcileReport[] = [];

  /**
   * Reconciles a service with what runs here (lambdas/core/pipeline/reconcile.ts): runs left RUNNING
   * by a platform that stopped or crashed are ended ABORTED, their locks released, their test
   * environments destroyed, and `where` is corrected to what each environment serves. Runs once per
   * service when this platform first registers it (at start, before any push is accepted for it).
   */
  async reconcile(service: string): Promise<ReconcileReport> {
    const entry = this.services.get(service);
    if (!entry) throw new UnknownLocalServiceError(service, [...this.services.keys()]);
    const report = await reconcileService(
      { service, team: entry.spec.team, environments: entry.spec.environments },
      {
        builds: this.builds,
        isRunning: async (execution) => {
          const running = this.executions.get(execution);
          return running !== undefined && running.result === undefined;
        },
        destroyEnvironment: async (id) => {
          this.environments.unwatch(id);
          await this.target.destroy({ id });
        },
        serving: async (name, environment) => {
          const env = this.target.list().find((e) => e.service === name && e.name === environment);
          return env ? (await this.target.describe(env)).baseline?.version : undefined;
        },
        notify: async (notification) => {
          const parsed = parseNotification({ channel: this.channelOf(notification.team), ...notification });
          await this.notifier.deliver(parsed);
        },
      },
    );
    this.reconciliations.push(report);
    for (const a of report.aborted) {
      this.out(
        `  reconciled ${service}: v${a.version} (${a.execution}) was left RUNNING; ended ABORTED` +
          `${a.locksReleased.length ? `, released ${a.locksReleased.join(', ')}` : ''}`,
      );
    }
    for (const l of report.locksReleased)
      this.out(`  reconciled ${service}: released the ${l.environment} lock of ${l.owner}`);
    for (const c of report.corrected) {
      this.out(
        `  reconciled ${service}: ${c.environment} was recorded as ${c.recorded === null ? 'nothing' : `v${c.recorded}`}` +
          `, serves ${c.serving === null ? 'nothing' : `v${c.serving}`}`,
      );
    }
    return report;
  }

  /**
   * Stops a run as StopExecution does on AWS: it ends ABORTED at once, its `last` section (destroy,
   * notify) does not run, and a task in flight finishes on its own. What it leaves is the
   * reconciler's (its record, its locks) and the sweeper's (its environment, its images).
   */
  async stopExecution(name: string): Promise<LocalExecutionResult> {
    const execution = this.executions.get(name);
    if (!execution) throw new UnknownLocalExecutionError(name);
    execution.stop.abort();
    return execution.done;
  }

  /** Image ids baked by each execution, for the sweeper (kept while that execution runs). */
  private readonly bakedBy = new Map<string, string[]>();
  private sweepTimer?: NodeJS.Timeout;
  private sweeping?: Promise<SweepReport>;
  private sweeperSettings?: SweeperSettings;
  readonly sweeps: SweepReport[] = [];

  /** Runs the sweep every `everyMinutes` of the platform's clock. */
  private startSweeper(settings: SweeperSettings): void {
    this.sweeperSettings = settings;
    this.sweepTimer = setInterval(
      () => {
        void this.sweep().catch((error: unknown) =>
          this.out(`  ! sweeper: ${error instanceof Error ? error.message : String(error)}`),
        );
      },
      (settings.everyMinutes * 60_000) / this.clock.scale,
    );
    this.sweepTimer.unref();
  }

  /**
   * One sweep now (lambdas/core/sweeper/sweep.ts): test environments of runs the engine no longer
   * runs are destroyed (bots and alarms first), images beyond the newest `keepImages` per service are
   * removed unless an environment serves them or a running run baked them. What it removed is
   * recorded per service in the build data (`vouch history <service>` shows it). One sweep at a time.
   */
  async sweep(): Promise<SweepReport> {
    if (this.sweeping) return this.sweeping;
    const settings = this.sweeperSettings ?? parseSweeperSettings({});
    const running = () =>
      [...this.executions.values()].filter((e) => e.result === undefined && !e.stop.signal.aborted);
    this.sweeping = sweep(
      localSweepPorts({
        target: this.target,
        runningExecutions: () => running().map((e) => e.name),
        bakedByRunning: () => new Set(running().flatMap((e) => this.bakedBy.get(e.name) ?? [])),
        destroyEnvironment: async (id) => {
          this.environments.unwatch(id);
          await this.target.destroy({ id });
        },
        lockHolder: async (service, environment) => (await this.builds.findLock(service, environment))?.owner,
        // Recorded at wall time, as the builds it is listed with; ages are on the platform clock,
        // as the environments' creation times are.
        record: async (report) => {
          const at = new Date().toISOString();
          for (const record of sweepRecordsByService(report))
            await this.builds.recordSweep({ ...record, at });
        },
        now: () => new Date(this.clock.now()),
      }),
      { keepImages: settings.keepImages, graceMs: settings.graceMinutes * 60_000 },
    );
    try {
      const report = await this.sweeping;
      this.sweeps.push(report);
      for (const d of report.removed) this.out(`  swept ${d.resource.kind} ${d.resource.id}: ${d.reason}`);
      for (const f of report.failed)
        this.out(`  ! sweeper could not remove ${f.resource.kind} ${f.resource.id}: ${f.error}`);
      return report;
    } finally {
      this.sweeping = undefined;
    }
  }

  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.sweeping?.catch(() => undefined);
    await this.api?.close();
    await this.scheduler.stop();
    this.metrics.stop();
    await this.webhook?.close();
    await this.target.closeAll();
    // A slot replaced by a promote is stopped gracefully in the background: wait (bounded) for it, so
    // nothing writes under .vouch after close returns.
    for (let i = 0; i < 50 && liveServiceProcessCount() > 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    await this.table.close();
    rmSync(join(this.stateDir, 'platform.json'), { force: true });
  }
}
