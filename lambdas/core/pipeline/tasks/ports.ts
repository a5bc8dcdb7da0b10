/** The ports the pipeline tasks call: the build data, the deploy target, commands, bots, notifications. */
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
} from '../../builds/model.ts';
import type { CanarySeries } from '../../canary/periods.ts';
import type { AlarmsSpec, BotScenario } from '../../evidence/spec.ts';
import type { NotificationInput } from '../../notify/notification.ts';
import type { DeployTarget, Environment } from '../../target/port.ts';
import type { JsonValue, RunState, TaskFunction, TaskInput } from '../contract.ts';

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
 * The scheduled bots of a lasting environment (qa, prod), which exist before anything runs there (on AWS
 * the service stack's schedules, created disabled): switched on by a deploy there, so that no bot fails
 * against an empty environment and leaves its alarms in ALARM for the first window (as the local
 * platform starts bots at an environment's first deploy). Which bots is `plannedBots`; returns the
 * scenarios it switched on (none once they run).
 */
export interface LastingBotsPort {
  enable(environment: Environment, scenarios: readonly BotScenario[]): Promise<string[]>;
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
  /**
   * Bots of lasting environments, switched on by a deploy there (AWS). @default none: the local platform
   * starts an environment's bots itself at its first deploy
   */
  readonly lastingBots?: LastingBotsPort;
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
