/**
 * The build data repository on one DynamoDB table (layout: tableSchema.ts). The same code talks to
 * DynamoDB on AWS and to dynalite on one machine; it uses only operations dynalite 4 implements
 * (no TransactWriteItems, no UpdateTimeToLive), which is what shaped `allocateVersion`.
 *
 * Its parts share one document client (builds/table.ts): services and versions (builds/versions.ts),
 * what runs record (builds/runRecords.ts), reads (builds/queries.ts), deploy locks (builds/locks.ts)
 * and sweeps (builds/sweeps.ts). This class is the one interface callers use.
 */
import type {
  AllocatedVersion,
  Build,
  BuildEvent,
  ControlActionInput,
  DeployLock,
  EnvironmentState,
  Failure,
  LockAttempt,
  LockRequest,
  Page,
  PageRequest,
  PromotionInput,
  QueuedLockRequest,
  RegisteredService,
  RunFinish,
  RunStart,
  ServiceRegistration,
  TaskEventInput,
  VersionRequest,
} from '../../core/builds/model.ts';
import type { ServiceSweepRecord } from '../../core/sweeper/sweep.ts';
import { DeployLocks, type LockWaitRequest } from './builds/locks.ts';
import { BuildQueries } from './builds/queries.ts';
import { RunRecords } from './builds/runRecords.ts';
import { SweepRecords } from './builds/sweeps.ts';
import { type BuildRepositoryOptions, BuildTable } from './builds/table.ts';
import { ServiceVersions } from './builds/versions.ts';

export type { BuildRepositoryOptions, LockWaitRequest };

export class BuildRepository {
  readonly tableName: string;
  private readonly versions: ServiceVersions;
  private readonly runs: RunRecords;
  private readonly queries: BuildQueries;
  private readonly locks: DeployLocks;
  private readonly sweeps: SweepRecords;

  constructor(options: BuildRepositoryOptions) {
    const table = new BuildTable(options);
    this.tableName = table.name;
    this.versions = new ServiceVersions(table);
    this.queries = new BuildQueries(table);
    this.runs = new RunRecords(table, this.queries);
    this.locks = new DeployLocks(table);
    this.sweeps = new SweepRecords(table);
  }

  // ---------------------------------------------------------------- services and versions

  /** Registers a service (or updates its team, solution and repo), keeping its version counter. */
  registerService(registration: ServiceRegistration): Promise<void> {
    return this.versions.registerService(registration);
  }

  getService(service: string): Promise<RegisteredService | undefined> {
    return this.versions.getService(service);
  }

  /** Every registered service (one Query on gsi1). */
  listServices(): Promise<RegisteredService[]> {
    return this.versions.listServices();
  }

  /** The next version of a service for a commit: atomic, gapless, idempotent per execution. */
  allocateVersion(request: VersionRequest): Promise<AllocatedVersion> {
    return this.versions.allocateVersion(request);
  }

  // ---------------------------------------------------------------- runs and events

  /** Marks the build RUNNING and stores the pipe shape it runs with, plus an `init` event. */
  recordRunStarted(run: RunStart): Promise<void> {
    return this.runs.recordRunStarted(run);
  }

  /** Records the run's outcome on the build and as its last event. */
  recordRunFinished(run: RunFinish): Promise<void> {
    return this.runs.recordRunFinished(run);
  }

  /** A task's start or done, with its environment, time, outcome and report. */
  recordTaskEvent(event: TaskEventInput): Promise<void> {
    return this.runs.recordTaskEvent(event);
  }

  /** `PASSED_TEST`, `PROMOTED:<env>` or `ROLLED_BACK:<env>`, kept forever; updates what runs where. */
  recordPromotion(promotion: PromotionInput): Promise<void> {
    return this.runs.recordPromotion(promotion);
  }

  /** A person's promote / abort / rollback, on the build's timeline with who did it. */
  recordControlAction(input: ControlActionInput): Promise<void> {
    return this.runs.recordControlAction(input);
  }

  /** Corrects what runs in an environment to what the target serves; false when they agreed. */
  correctServing(
    service: string,
    environment: string,
    serving: { version: number; commit: string } | undefined,
  ): Promise<boolean> {
    return this.runs.correctServing(service, environment, serving);
  }

  // ---------------------------------------------------------------- queries

  getBuild(service: string, version: number): Promise<Build | undefined> {
    return this.queries.getBuild(service, version);
  }

  /** Builds of a service, newest first, paged. */
  listBuilds(service: string, page: PageRequest = {}): Promise<Page<Build>> {
    return this.queries.listBuilds(service, page);
  }

  /** Builds of a team across its services, newest first, paged. */
  listTeamBuilds(team: string, page: PageRequest = {}): Promise<Page<Build>> {
    return this.queries.listTeamBuilds(team, page);
  }

  /** The timeline of a build in time order: run start/done, task start/done, promotions. */
  listEvents(service: string, version: number): Promise<BuildEvent[]> {
    return this.queries.listEvents(service, version);
  }

  /** What version runs in each environment of a service. */
  whereRuns(service: string): Promise<Record<string, EnvironmentState>> {
    return this.queries.whereRuns(service);
  }

  /** Failed tasks of a team's builds, newest first, within the event retention. */
  recentFailures(team: string, page: PageRequest = {}): Promise<Page<Failure>> {
    return this.queries.recentFailures(team, page);
  }

  /** Builds of a service that are RUNNING, newest first, among its most recent `limit`. */
  listRunningBuilds(service: string, limit = 200): Promise<Build[]> {
    return this.queries.listRunningBuilds(service, limit);
  }

  // ---------------------------------------------------------------- deploy locks

  /** Takes the deploy lock of (service, environment) for `ttlSeconds`; LockHeldError when another holds it. */
  acquireLock(request: LockRequest & { version?: number }): Promise<DeployLock> {
    return this.locks.acquireLock(request);
  }

  /** One attempt at the deploy lock for a run that waits its turn, newest push first. */
  acquireOrQueueLock(request: QueuedLockRequest): Promise<LockAttempt> {
    return this.locks.acquireOrQueueLock(request);
  }

  /** Removes `owner`'s queue entry of (service, environment), if it is still the waiter. */
  leaveQueue(service: string, environment: string, owner: string): Promise<boolean> {
    return this.locks.leaveQueue(service, environment, owner);
  }

  /** The holder's heartbeat; false once another run holds the lock (or none). */
  renewLock(request: LockRequest): Promise<boolean> {
    return this.locks.renewLock(request);
  }

  /** Like acquireLock, but waits up to `waitSeconds` for the holder to release or expire. */
  acquireLockWaiting(request: LockWaitRequest): Promise<DeployLock> {
    return this.locks.acquireLockWaiting(request);
  }

  /** Releases the lock if `owner` holds it; false when it expired and someone else took it (or none). */
  releaseLock(request: { service: string; environment: string; owner: string }): Promise<boolean> {
    return this.locks.releaseLock(request);
  }

  /** The current lock of (service, environment), expired or not. */
  findLock(service: string, environment: string): Promise<DeployLock | undefined> {
    return this.locks.findLock(service, environment);
  }

  // ---------------------------------------------------------------- sweeps

  /** What a sweep removed of a service. */
  recordSweep(record: ServiceSweepRecord): Promise<void> {
    return this.sweeps.recordSweep(record);
  }

  /** A service's sweeps, newest first (one Query). */
  listSweeps(service: string, limit = 5): Promise<ServiceSweepRecord[]> {
    return this.sweeps.listSweeps(service, limit);
  }
}
