/**
 * The build data repository on one DynamoDB table (layout: tableSchema.ts). The same code talks to
 * DynamoDB on AWS and to dynalite on one machine; it uses only operations dynalite 4 implements
 * (no TransactWriteItems, no UpdateTimeToLive), which is what shaped `allocateVersion` below.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import {
  BuildDataThrottledError,
  BuildDataUnavailableError,
  ExecutionConflictError,
  InvalidBuildInputError,
  InvalidCursorError,
  LockHeldError,
  UnknownBuildError,
  UnknownServiceError,
} from '../../core/builds/errors.ts';
import {
  type AllocatedVersion,
  type Build,
  type BuildEvent,
  type BuildStatus,
  CONTROL_ACTIONS,
  type ControlActionInput,
  checkSize,
  type DeployLock,
  type EnvironmentState,
  type Failure,
  type JsonValue,
  type LockAttempt,
  type LockRequest,
  type Page,
  type PageRequest,
  PROMOTION_KINDS,
  type PromotionInput,
  parseBuildRef,
  parseControlAction,
  parseIso,
  parseLockRequest,
  parsePromotion,
  parseRegistration,
  parseTaskEvent,
  parseVersionRequest,
  promotionLabel,
  type QueuedLockRequest,
  type RegisteredService,
  type RunFinish,
  type RunStart,
  type ServiceRegistration,
  type TaskEventInput,
  type VersionRequest,
} from '../../core/builds/model.ts';
import type { ServiceSweepRecord } from '../../core/sweeper/sweep.ts';
import { keys } from './keys.ts';
import { isConditionFailure, toBuildDataError } from './sdkErrors.ts';
import { BUILD_TABLE_SCHEMA } from './tableSchema.ts';

export interface BuildRepositoryOptions {
  /** A DynamoDB client (wrapped in a document client here) or a document client. */
  readonly client: DynamoDBClient | DynamoDBDocumentClient;
  readonly tableName: string;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** Days an event is kept before DynamoDB's TTL removes it; versions and promotions are kept. @default 90 */
  readonly eventTtlDays?: number;
  /** Largest task report or promotion evidence, as JSON bytes. @default 65536 */
  readonly maxReportBytes?: number;
  /** Largest pipe shape stored with a run, as JSON bytes. @default 262144 */
  readonly maxPipeShapeBytes?: number;
  /**
   * How long an allocation's idempotency entry stays on the service item after it was made. A retry
   * of the same execution within this time is answered from the entry; later ones from the
   * execution item. Longer than any retry of the version task (Lambda runs at most 15 minutes).
   * @default 900
   */
  readonly allocationGraceSeconds?: number;
  /** @default setTimeout-based */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface LockWaitRequest extends LockRequest {
  /** How long to wait for the holder to release or expire before failing with LockHeldError. */
  readonly waitSeconds: number;
  /** @default 1000 */
  readonly pollMs?: number;
}

type Item = Record<string, unknown>;

const DEFAULT_PAGE = 20;
const MAX_PAGE = 100;
/** Idempotency entries are pruned on every Nth allocation of a service: amortised housekeeping. */
const PRUNE_EVERY = 25;
const PRUNE_BATCH = 25;
const MAX_PRUNE_MARKS = 20;
/** The commit of an ABANDONED build: its allocating request died and never came back. */
const ABANDONED_COMMIT = '';
/** A Query returns at most 1 MB; a build's timeline is far below this many pages. */
const MAX_TIMELINE_PAGES = 50;

/** Attributes of a build row in lists: everything but the (large) pipe shape. */
const BUILD_LIST_ATTRIBUTES = [
  'service',
  'team',
  'version',
  'commit',
  'execution',
  'status',
  'allocatedAt',
  'startedAt',
  'finishedAt',
];

export class BuildRepository {
  readonly tableName: string;
  private readonly db: DynamoDBDocumentClient;
  private readonly now: () => Date;
  private readonly eventTtlSeconds: number;
  private readonly maxReportBytes: number;
  private readonly maxPipeShapeBytes: number;
  private readonly graceMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: BuildRepositoryOptions) {
    this.tableName = options.tableName;
    this.db =
      options.client instanceof DynamoDBClient
        ? DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } })
        : options.client;
    this.now = options.now ?? (() => new Date());
    this.eventTtlSeconds = Math.round((options.eventTtlDays ?? 90) * 86_400);
    this.maxReportBytes = options.maxReportBytes ?? 64 * 1024;
    this.maxPipeShapeBytes = options.maxPipeShapeBytes ?? 256 * 1024;
    this.graceMs = (options.allocationGraceSeconds ?? 900) * 1000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  // ---------------------------------------------------------------- services

  /** Registers a service (or updates its team, solution and repo), keeping its version counter. */
  async registerService(registration: ServiceRegistration): Promise<void> {
    const { service, team, solution, repo } = parseRegistration(registration);
    await this.call('registerService', () =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.service(service),
          UpdateExpression:
            'SET #service = :service, #team = :team, #solution = :solution, #repo = :repo, ' +
            '#registeredAt = if_not_exists(#registeredAt, :now), #lastVersion = if_not_exists(#lastVersion, :zero), ' +
            '#allocationVersions = if_not_exists(#allocationVersions, :empty), #gpk = :gpk, #gsk = :service',
          ExpressionAttributeNames: {
            '#service': 'service',
            '#team': 'team',
            '#solution': 'solution',
            '#repo': 'repo',
            '#registeredAt': 'registeredAt',
            '#lastVersion': 'lastVersion',
            '#allocationVersions': 'allocationVersions',
            '#gpk': 'gsi1pk',
            '#gsk': 'gsi1sk',
          },
          ExpressionAttributeValues: {
            ':service': service,
            ':team': team,
            ':solution': solution,
            ':repo': repo,
            ':now': this.nowIso(),
            ':zero': 0,
            ':empty': {},
            ':gpk': keys.servicesIndex,
          },
        }),
      ),
    );
  }

  async getService(service: string): Promise<RegisteredService | undefined> {
    const item = await this.get('getService', keys.service(service), [
      'service',
      'team',
      'solution',
      'repo',
      'lastVersion',
      'registeredAt',
    ]);
    return item ? toService(item) : undefined;
  }

  /** Every registered service (one Query on gsi1). */
  async listServices(): Promise<RegisteredService[]> {
    const items = await this.queryAll('listServices', {
      IndexName: 'gsi1',
      KeyConditionExpression: '#gpk = :gpk',
      ExpressionAttributeNames: { '#gpk': 'gsi1pk' },
      ExpressionAttributeValues: { ':gpk': keys.servicesIndex },
    });
    return items.map(toService);
  }

  // ---------------------------------------------------------------- versions

  /**
   * The next version of a service for a commit: atomic, gapless, idempotent per execution.
   *
   * Why not a transaction: dynalite 4 has no TransactWriteItems, and a transaction cannot return the
   * counter's new value, so it needs optimistic read-then-write rounds that collapse under contention
   * (1,000 racers on one counter: ~n^2/2 attempts). Instead ONE UpdateItem on the service item both
   * bumps `lastVersion` and records `allocationVersions[execution]`, guarded by
   * `attribute_not_exists(allocationVersions[execution])`. DynamoDB applies an update to one item
   * atomically, so every number goes to exactly one execution, and a retry that loses the condition
   * reads its number back instead of burning another. The build and execution items are then
   * written. Idempotency entries are pruned once older than a grace period (see pruneAllocations);
   * from then on the execution item, read first, answers retries.
   * An unregistered service fails the `attribute_exists(pk)` condition: UnknownServiceError.
   * Cost: 3 requests (read execution, update counter, batch-write build + execution); the service
   * item grows by ~25 bytes per allocation made within the grace period.
   */
  async allocateVersion(request: VersionRequest): Promise<AllocatedVersion> {
    const { service, commit, execution } = parseVersionRequest(request);
    // A duplicate that loses the race with pruning (see `continue` below) goes round once more.
    for (let attempt = 0; attempt < 3; attempt++) {
      const claimed = await this.get('allocateVersion', keys.execution(execution), [
        'service',
        'version',
        'commit',
      ]);
      if (claimed) return this.answerFromClaim(execution, claimed, service, commit);

      const allocatedAt = this.nowIso();
      const out = await this.conditionalWrite('allocateVersion', () =>
        this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.service(service),
            // `#team = #team` changes nothing; it makes UPDATED_NEW return the team the build is filed under.
            UpdateExpression: 'SET #last = #last + :one, #versions.#exec = #last + :one, #team = #team',
            ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(#versions.#exec)',
            ExpressionAttributeNames: {
              '#pk': 'pk',
              '#last': 'lastVersion',
              '#team': 'team',
              '#versions': 'allocationVersions',
              '#exec': execution,
            },
            ExpressionAttributeValues: { ':one': 1 },
            ReturnValues: 'UPDATED_NEW',
          }),
        ),
      );
      if (out !== undefined) {
        const version = Number(out.Attributes?.lastVersion);
        const team = String(out.Attributes?.team);
        // A fresh number: nothing can exist under it yet, so both items go in one unconditional batch.
        await this.writeAll('allocateVersion', [
          buildItem({ service, team, version, commit, execution, allocatedAt, status: 'ALLOCATED' }),
          executionItem({ service, version, commit, execution, allocatedAt }),
        ]);
        if (version % PRUNE_EVERY === 0) await this.pruneAllocations(service);
        return { service, version, commit };
      }

      // The condition failed: the service is unknown, or this execution already holds a number
      // (a retry after a crash, or a duplicate running at the same time).
      const held = await this.heldAllocation(service, execution);
      if (!held) continue; // pruned since our look-up, so the execution item now answers
      await this.materialiseBuild({ service, team: held.team, version: held.version, commit, execution });
      return { service, version: held.version, commit };
    }
    throw new BuildDataUnavailableError('allocateVersion (the allocation kept moving; retry)');
  }

  /** The number an execution holds on the service item; UnknownServiceError if there is no service. */
  private async heldAllocation(
    service: string,
    execution: string,
  ): Promise<{ version: number; team: string } | undefined> {
    const out = await this.call('allocateVersion', () =>
      this.db.send(
        new GetCommand({
          TableName: this.tableName,
          Key: keys.service(service),
          ConsistentRead: true,
          ProjectionExpression: '#team, #versions.#exec',
          ExpressionAttributeNames: {
            '#team': 'team',
            '#versions': 'allocationVersions',
            '#exec': execution,
          },
        }),
      ),
    );
    if (!out.Item) throw new UnknownServiceError(service);
    const version = (out.Item.allocationVersions as Record<string, number> | undefined)?.[execution];
    return version === undefined ? undefined : { version: Number(version), team: String(out.Item.team) };
  }

  /** A retry answered from the execution item; an abandoned allocation is adopted with this commit. */
  private async answerFromClaim(
    execution: string,
    claimed: Item,
    service: string,
    commit: string,
  ): Promise<AllocatedVersion> {
    const version = Number(claimed.version);
    if (claimed.service !== service) {
      throw new ExecutionConflictError(execution, `it allocated v${version} of ${String(claimed.service)}`);
    }
    if (claimed.commit === ABANDONED_COMMIT) {
      await this.materialiseBuild({ service, team: '', version, commit, execution });
      return { service, version, commit };
    }
    if (claimed.commit !== commit) {
      throw new ExecutionConflictError(
        execution,
        `v${version} of ${service} was built from ${claimed.commit}`,
      );
    }
    return { service, version, commit };
  }

  /**
   * Writes (or completes) the build and execution items of a number this execution holds, when they
   * may exist already: a started build is never reset, an abandoned one is adopted, and a different
   * commit for the same execution is refused.
   */
  private async materialiseBuild(build: {
    service: string;
    team: string;
    version: number;
    commit: string;
    execution: string;
  }): Promise<void> {
    const { service, version, commit, execution } = build;
    const allocatedAt = this.nowIso();
    const written = await this.conditionalWrite('allocateVersion', () =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: executionItem({ ...build, allocatedAt }),
          ConditionExpression: 'attribute_not_exists(#pk) OR #commit = :commit OR #commit = :abandoned',
          ExpressionAttributeNames: { '#pk': 'pk', '#commit': 'commit' },
          ExpressionAttributeValues: { ':commit': commit, ':abandoned': ABANDONED_COMMIT },
        }),
      ),
    );
    if (written === undefined) {
      const claimed = await this.get('allocateVersion', keys.execution(execution), ['commit']);
      throw new ExecutionConflictError(
        execution,
        `v${version} of ${service} was built from ${claimed?.commit}`,
      );
    }
    const adopted = await this.conditionalWrite('allocateVersion', () =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.build(service, version),
          UpdateExpression: 'SET #commit = :commit, #status = :allocated',
          ConditionExpression: '#execution = :execution AND #status = :abandoned',
          ExpressionAttributeNames: { '#commit': 'commit', '#status': 'status', '#execution': 'execution' },
          ExpressionAttributeValues: {
            ':commit': commit,
            ':allocated': 'ALLOCATED',
            ':abandoned': 'ABANDONED',
            ':execution': execution,
          },
        }),
      ),
    );
    if (adopted !== undefined) return; // adopted an abandoned build
    if (build.team === '') return; // answered from the execution item: the build item exists
    await this.conditionalWrite('allocateVersion', () =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: buildItem({ ...build, allocatedAt, status: 'ALLOCATED' }),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': 'pk' },
        }),
      ),
    );
  }

  /** BatchWriteItem with its unprocessed items retried (bounded, with backoff). */
  private async writeAll(operation: string, items: Item[]): Promise<void> {
    for (let i = 0; i < items.length; i += 25) {
      let requests = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt === 8) throw new BuildDataThrottledError(`${operation} (unprocessed batch items)`);
        if (attempt > 0) await this.sleep(Math.min(50 * 2 ** attempt, 2_000));
        const out = await this.call(operation, () =>
          this.db.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } })),
        );
        requests = (out.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
      }
    }
  }

  /**
   * Forgets idempotency entries allocated more than the grace period ago. Entries carry no time (to
   * keep the service item small), so each prune leaves a mark "at time T, lastVersion was L" in
   * `pruneMarks`: any version <= L of a mark older than the grace period is old enough.
   * An entry whose execution item is missing belongs to a request that died between bump and
   * write-out and was never retried: its number is written out as an ABANDONED build (kept, so the
   * sequence stays gapless; a late retry adopts it).
   */
  private async pruneAllocations(service: string): Promise<void> {
    const item = await this.get('pruneAllocations', keys.service(service), [
      'team',
      'lastVersion',
      'allocationVersions',
      'pruneMarks',
    ]);
    if (!item) return;
    const now = this.now().getTime();
    const cutoff = now - this.graceMs;
    const marks = (item.pruneMarks ?? []) as Array<{ at: string; lastVersion: number }>;
    const oldEnough = marks.filter((m) => Date.parse(m.at) < cutoff);
    const safeVersion = Math.max(0, ...oldEnough.map((m) => Number(m.lastVersion)));
    // Keep the newest old-enough mark and the younger ones, plus this prune's own mark.
    const newest = oldEnough.sort((a, b) => Number(b.lastVersion) - Number(a.lastVersion))[0];
    const keptMarks = [
      ...(newest ? [newest] : []),
      ...marks.filter((m) => Date.parse(m.at) >= cutoff),
      { at: new Date(now).toISOString(), lastVersion: Number(item.lastVersion) },
    ].slice(-MAX_PRUNE_MARKS);
    await this.call('pruneAllocations', () =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.service(service),
          UpdateExpression: 'SET #marks = :marks',
          ExpressionAttributeNames: { '#marks': 'pruneMarks' },
          ExpressionAttributeValues: { ':marks': keptMarks },
        }),
      ),
    );

    const versions = (item.allocationVersions ?? {}) as Record<string, number>;
    const stale = Object.entries(versions)
      .map(([execution, version]) => ({ execution, version: Number(version) }))
      .filter((entry) => entry.version <= safeVersion);
    for (let i = 0; i < stale.length; i += PRUNE_BATCH) {
      const chunk = stale.slice(i, i + PRUNE_BATCH);
      const found = await this.call('pruneAllocations', () =>
        this.db.send(
          new BatchGetCommand({
            RequestItems: {
              [this.tableName]: {
                Keys: chunk.map((s) => keys.execution(s.execution)),
                ConsistentRead: true,
                ProjectionExpression: '#execution',
                ExpressionAttributeNames: { '#execution': 'execution' },
              },
            },
          }),
        ),
      );
      // Unprocessed keys count as missing: the conditional write-out below is harmless for them.
      const present = new Set((found.Responses?.[this.tableName] ?? []).map((r) => String(r.execution)));
      for (const entry of chunk.filter((e) => !present.has(e.execution))) {
        await this.writeAbandoned(service, String(item.team), entry.version, entry.execution);
      }
      const names: Record<string, string> = { '#versions': 'allocationVersions' };
      const values: Record<string, unknown> = {};
      chunk.forEach((entry, n) => {
        names[`#e${n}`] = entry.execution;
        values[`:v${n}`] = entry.version;
      });
      // Another allocation pruned the same entries first.
      await this.conditionalWrite('pruneAllocations', () =>
        this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.service(service),
            UpdateExpression: `REMOVE ${chunk.map((_, n) => `#versions.#e${n}`).join(', ')}`,
            ConditionExpression: chunk.map((_, n) => `#versions.#e${n} = :v${n}`).join(' AND '),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        ),
      );
    }
  }

  private async writeAbandoned(
    service: string,
    team: string,
    version: number,
    execution: string,
  ): Promise<void> {
    const allocatedAt = this.nowIso();
    const record = { service, team, version, commit: ABANDONED_COMMIT, execution, allocatedAt };
    for (const Item of [buildItem({ ...record, status: 'ABANDONED' }), executionItem(record)]) {
      await this.conditionalWrite('pruneAllocations', () =>
        this.db.send(
          new PutCommand({
            TableName: this.tableName,
            Item,
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': 'pk' },
          }),
        ),
      );
    }
  }

  // ---------------------------------------------------------------- runs and events

  /** Marks the build RUNNING and stores the pipe shape it runs with, plus an `init` event. */
  async recordRunStarted(run: RunStart): Promise<void> {
    const { service, version } = parseBuildRef(run.service, run.version);
    const at = parseIso(run.at, 'run start time') ?? this.nowIso();
    parseVersionRequest({ service, commit: run.commit, execution: run.execution });
    checkSize('pipe shape', run.pipeShape, this.maxPipeShapeBytes);
    const written = await this.conditionalWrite('recordRunStarted', () =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.build(service, version),
          UpdateExpression: 'SET #status = :running, #startedAt = :at, #pipeShape = :shape',
          ConditionExpression:
            'attribute_exists(#pk) AND #execution = :execution AND #commit = :commit' +
            ` AND #status IN (:allocated, :running)${run.team === undefined ? '' : ' AND #team = :team'}`,
          ExpressionAttributeNames: {
            '#pk': 'pk',
            '#status': 'status',
            '#startedAt': 'startedAt',
            '#pipeShape': 'pipeShape',
            '#execution': 'execution',
            '#commit': 'commit',
            ...(run.team === undefined ? {} : { '#team': 'team' }),
          },
          ExpressionAttributeValues: {
            ':running': 'RUNNING',
            ':allocated': 'ALLOCATED',
            ':at': at,
            ':shape': run.pipeShape,
            ':execution': run.execution,
            ':commit': run.commit,
            ...(run.team === undefined ? {} : { ':team': run.team }),
          },
        }),
      ),
    );
    if (written === undefined) {
      const build = await this.requireBuild(service, version, run.execution);
      if (build.commit !== run.commit) {
        throw new ExecutionConflictError(
          run.execution,
          `v${version} of ${service} was built from ${build.commit}`,
        );
      }
      if (run.team !== undefined && build.team !== run.team) {
        throw new InvalidBuildInputError(`${service} belongs to team ${build.team}, not ${run.team}`);
      }
      return; // already finished: a late repeat of the start changes nothing
    }
    await this.putEvent(service, version, keys.runEventSk(at, 'start'), {
      kind: 'RUN',
      at,
      phase: 'start',
      execution: run.execution,
    });
  }

  /** Records the run's outcome on the build and as its last event. */
  async recordRunFinished(run: RunFinish): Promise<void> {
    const { service, version } = parseBuildRef(run.service, run.version);
    const at = parseIso(run.at, 'run finish time') ?? this.nowIso();
    if (run.outcome !== 'SUCCEEDED' && run.outcome !== 'FAILED' && run.outcome !== 'ABORTED') {
      throw new InvalidBuildInputError(
        `Invalid run outcome ${String(run.outcome)}: SUCCEEDED, FAILED or ABORTED`,
      );
    }
    checkSize('run report', run.report, this.maxReportBytes);
    const written = await this.conditionalWrite('recordRunFinished', () =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.build(service, version),
          UpdateExpression: 'SET #status = :outcome, #finishedAt = :at',
          ConditionExpression: 'attribute_exists(#pk) AND #execution = :execution',
          ExpressionAttributeNames: {
            '#pk': 'pk',
            '#status': 'status',
            '#finishedAt': 'finishedAt',
            '#execution': 'execution',
          },
          ExpressionAttributeValues: { ':outcome': run.outcome, ':at': at, ':execution': run.execution },
        }),
      ),
    );
    if (written === undefined) {
      await this.requireBuild(service, version, run.execution);
    }
    await this.putEvent(service, version, keys.runEventSk(at, 'done'), {
      kind: 'RUN',
      at,
      phase: 'done',
      execution: run.execution,
      outcome: run.outcome,
      report: run.report,
    });
  }

  /** A task's start or done, with its environment, time, outcome and report. */
  async recordTaskEvent(event: TaskEventInput): Promise<void> {
    const e = parseTaskEvent(event);
    checkSize(`report of task ${e.task}`, e.report, this.maxReportBytes);
    const build = await this.requireBuild(e.service, e.version, e.execution);
    const failed = e.phase === 'done' && e.outcome === 'FAILED';
    await this.putEvent(e.service, e.version, keys.taskEventSk(e.at, e.task, e.phase), {
      kind: 'TASK',
      at: e.at,
      execution: e.execution,
      task: e.task,
      type: e.type,
      phase: e.phase,
      environment: e.environment,
      outcome: e.outcome,
      report: e.report,
      // Sparse index entry: only failures are in the team's failure list.
      ...(failed
        ? {
            gsi1pk: keys.failuresIndex(build.team),
            gsi1sk: keys.failureSk(e.at, e.service, e.version, e.task),
            service: e.service,
            version: e.version,
          }
        : {}),
    });
  }

  /**
   * `PASSED_TEST`, `PROMOTED:<env>` or `ROLLED_BACK:<env>`, kept forever with its evidence; updates
   * what runs where: a promotion makes the version run there, a rollback of the version currently
   * recorded there reverts to the previous one.
   */
  async recordPromotion(promotion: PromotionInput): Promise<void> {
    const p = parsePromotion(promotion);
    const at = p.at ?? this.nowIso();
    checkSize('promotion evidence', p.evidence, this.maxReportBytes);
    const build = await this.requireBuild(p.service, p.version, p.execution);
    const label = promotionLabel(p.kind, p.environment);
    await this.call('recordPromotion', () =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: keys.timeline(p.service, p.version),
            sk: keys.promotionSk(at, label),
            kind: 'PROMOTION',
            at,
            promotion: p.kind,
            label,
            environment: p.environment,
            evidence: p.evidence,
            execution: p.execution ?? build.execution,
          },
        }),
      ),
    );
    if (p.kind === 'PROMOTED') await this.promoteIn(p.service, p.environment, p.version, build.commit, at);
    if (p.kind === 'ROLLED_BACK') await this.rollBackIn(p.service, p.environment, p.version, at);
  }

  private async promoteIn(service: string, environment: string, version: number, commit: string, at: string) {
    await this.conditionalWrite('recordPromotion', () =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.environment(service, environment),
          UpdateExpression:
            'SET #service = :service, #environment = :environment, #version = :version, #commit = :commit, ' +
            '#since = :at, #previousVersion = if_not_exists(#version, :zero), ' +
            '#previousCommit = if_not_exists(#commit, :none)',
          // Repeating the same promotion must not make the version its own predecessor.
          ConditionExpression: 'attribute_not_exists(#version) OR #version <> :version',
          ExpressionAttributeNames: {
            '#service': 'service',
            '#environment': 'environment',
            '#version': 'version',
            '#commit': 'commit',
            '#since': 'since',
            '#previousVersion': 'previousVersion',
            '#previousCommit': 'previousCommit',
          },
          ExpressionAttributeValues: {
            ':service': service,
            ':environment': environment,
            ':version': version,
            ':commit': commit,
            ':at': at,
            ':zero': 0,
            ':none': '',
          },
        }),
      ),
    );
  }

  private async rollBackIn(service: string, environment: string, version: number, at: string) {
    const names = {
      '#version': 'version',
      '#commit': 'commit',
      '#since': 'since',
      '#previousVersion': 'previousVersion',
      '#previousCommit': 'previousCommit',
      '#lastRollback': 'lastRollback',
    };
    const rollback = { version, at };
    // The rolled-back version was already recorded as running there: the previous one runs again.
    const restored = await this.conditionalWrite('recordPromotion', () =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.environment(service, environment),
          UpdateExpression:
            'SET #version = #previousVersion, #commit = #previousCommit, #since = :at, ' +
            '#previousVersion = :zero, #previousCommit = :none, #lastRollback = :rollback',
          ConditionExpression: '#version = :version AND #previousVersion > :zero',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: {
            ':version': version,
            ':at': at,
            ':zero': 0,
            ':none': '',
            ':rollback': rollback,
          },
        }),
      ),
    );
    if (restored !== undefined) return;
    // Usual canary case: the new version never became the baseline, which keeps running.
    // Nothing was ever promoted there (the condition fails): nothing runs, nothing to update.
    await this.conditionalWrite('recordPromotion', () =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.environment(service, environment),
          UpdateExpression: 'SET #lastRollback = :rollback',
          ConditionExpression: 'attribute_exists(#version)',
          ExpressionAttributeNames: { '#version': 'version', '#lastRollback': 'lastRollback' },
          ExpressionAttributeValues: { ':rollback': rollback },
        }),
      ),
    );
  }

  /** A person's promote / abort / rollback, on the build's timeline with who did it. */
  async recordControlAction(input: ControlActionInput): Promise<void> {
    const c = parseControlAction(input);
    const at = c.at ?? this.nowIso();
    await this.requireBuild(c.service, c.version);
    await this.putEvent(c.service, c.version, keys.controlSk(at, c.action), {
      kind: 'CONTROL',
      at,
      action: c.action,
      actor: c.actor,
      result: c.result,
      environment: c.environment,
    });
  }

  // ---------------------------------------------------------------- queries

  async getBuild(service: string, version: number): Promise<Build | undefined> {
    const ref = parseBuildRef(service, version);
    const item = await this.get('getBuild', keys.build(ref.service, ref.version), [
      ...BUILD_LIST_ATTRIBUTES,
      'pipeShape',
    ]);
    return item ? toBuild(item) : undefined;
  }

  /** Builds of a service, newest first, paged. */
  async listBuilds(service: string, page: PageRequest = {}): Promise<Page<Build>> {
    const pk = keys.service(service).pk;
    return this.queryPage('listBuilds', page, pk, toBuild, {
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk', ...projectionNames(BUILD_LIST_ATTRIBUTES) },
      ExpressionAttributeValues: { ':pk': pk, ':prefix': 'BUILD#' },
      ProjectionExpression: projection(BUILD_LIST_ATTRIBUTES),
      ScanIndexForward: false,
    });
  }

  /** Builds of a team across its services, newest first, paged. */
  async listTeamBuilds(team: string, page: PageRequest = {}): Promise<Page<Build>> {
    const gpk = keys.teamIndex(team);
    return this.queryPage('listTeamBuilds', page, gpk, toBuild, {
      IndexName: 'gsi1',
      KeyConditionExpression: '#gpk = :gpk',
      ExpressionAttributeNames: { '#gpk': 'gsi1pk', ...projectionNames(BUILD_LIST_ATTRIBUTES) },
      ExpressionAttributeValues: { ':gpk': gpk },
      ProjectionExpression: projection(BUILD_LIST_ATTRIBUTES),
      ScanIndexForward: false,
    });
  }

  /** The timeline of a build in time order: run start/done, task start/done, promotions. */
  async listEvents(service: string, version: number): Promise<BuildEvent[]> {
    const ref = parseBuildRef(service, version);
    const items = await this.queryAll('listEvents', {
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      // DynamoDB deletes expired items lazily (and dynalite never does): hide them here.
      FilterExpression: 'attribute_not_exists(#expiresAt) OR #expiresAt > :now',
      ExpressionAttributeNames: {
        '#pk': 'pk',
        '#sk': 'sk',
        '#expiresAt': BUILD_TABLE_SCHEMA.timeToLiveAttribute,
      },
      ExpressionAttributeValues: {
        ':pk': keys.timeline(ref.service, ref.version),
        ':prefix': 'EV#',
        ':now': this.nowEpochSeconds(),
      },
      ScanIndexForward: true,
    });
    return items.map(toEvent);
  }

  /** What version runs in each environment of a service. */
  async whereRuns(service: string): Promise<Record<string, EnvironmentState>> {
    const pk = keys.service(service).pk;
    const items = await this.queryAll('whereRuns', {
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
      ExpressionAttributeValues: { ':pk': pk, ':prefix': 'ENV#' },
    });
    const where: Record<string, EnvironmentState> = {};
    for (const item of items) {
      const state: EnvironmentState = {
        environment: String(item.environment),
        version: Number(item.version),
        commit: String(item.commit),
        since: String(item.since),
        previousVersion: Number(item.previousVersion ?? 0),
        ...(item.lastRollback ? { lastRollback: item.lastRollback as { version: number; at: string } } : {}),
      };
      where[state.environment] = state;
    }
    return where;
  }

  /** Failed tasks of a team's builds, newest first, within the event retention. */
  async recentFailures(team: string, page: PageRequest = {}): Promise<Page<Failure>> {
    const gpk = keys.failuresIndex(team);
    return this.queryPage('recentFailures', page, gpk, toFailure, {
      IndexName: 'gsi1',
      KeyConditionExpression: '#gpk = :gpk',
      FilterExpression: 'attribute_not_exists(#expiresAt) OR #expiresAt > :now',
      ExpressionAttributeNames: { '#gpk': 'gsi1pk', '#expiresAt': BUILD_TABLE_SCHEMA.timeToLiveAttribute },
      ExpressionAttributeValues: { ':gpk': gpk, ':now': this.nowEpochSeconds() },
      ScanIndexForward: false,
    });
  }

  /**
   * Builds of a service that are RUNNING, newest first (a Query over its builds, bounded to the most
   * recent `limit`): what the reconciler compares with the runs the engine still has.
   */
  async listRunningBuilds(service: string, limit = 200): Promise<Build[]> {
    const running: Build[] = [];
    let cursor: string | undefined;
    for (let seen = 0; seen < limit; ) {
      const page = await this.listBuilds(service, { limit: Math.min(MAX_PAGE, limit - seen), cursor });
      seen += page.items.length;
      running.push(...page.items.filter((b) => b.status === 'RUNNING'));
      cursor = page.cursor;
      if (!cursor || page.items.length === 0) break;
    }
    return running;
  }

  /**
   * Corrects what the build data says runs in an environment to what the target reports serving
   * (the reconciler, after a crash): `undefined` when nothing serves there. False when they agreed.
   */
  async correctServing(
    service: string,
    environment: string,
    serving: { version: number; commit: string } | undefined,
  ): Promise<boolean> {
    const recorded = (await this.whereRuns(service))[environment];
    if (recorded?.version === serving?.version) return false;
    const at = this.nowIso();
    if (serving === undefined) {
      await this.call('correctServing', () =>
        this.db.send(
          new DeleteCommand({ TableName: this.tableName, Key: keys.environment(service, environment) }),
        ),
      );
    } else {
      await this.call('correctServing', () =>
        this.db.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              ...keys.environment(service, environment),
              service,
              environment,
              version: serving.version,
              commit: serving.commit,
              since: at,
              previousVersion: recorded?.version ?? 0,
              previousCommit: recorded?.commit ?? '',
            },
          }),
        ),
      );
    }
    return true;
  }

  // ---------------------------------------------------------------- deploy locks

  /**
   * Takes the deploy lock of (service, environment) for `ttlSeconds`: a conditional put that wins when
   * there is no lock, the lock has expired (a crashed pipeline), or the owner already holds it (renewal).
   * The lease is `leaseUntil` (epoch ms); `heldUntil` is its ISO form. The table's TTL attribute
   * (`expiresAt`) only sweeps leftovers a day later, so it must not be read back as the lease.
   */
  async acquireLock(request: LockRequest & { version?: number }): Promise<DeployLock> {
    const { service, environment, owner, ttlSeconds } = parseLockRequest(request);
    const now = this.now().getTime();
    const leaseUntil = now + Math.round(ttlSeconds * 1000);
    const lock: DeployLock = {
      service,
      environment,
      owner,
      acquiredAt: new Date(now).toISOString(),
      expiresAt: new Date(leaseUntil).toISOString(),
      ...(request.version === undefined ? {} : { version: request.version }),
    };
    const written = await this.conditionalWrite('acquireLock', () =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.lock(service, environment),
            service,
            environment,
            owner,
            acquiredAt: lock.acquiredAt,
            heldUntil: lock.expiresAt,
            leaseUntil,
            ...(lock.version === undefined ? {} : { version: lock.version }),
            // Leftover locks disappear a day after expiry; correctness relies on `leaseUntil` only.
            [BUILD_TABLE_SCHEMA.timeToLiveAttribute]: Math.ceil(leaseUntil / 1000) + 86_400,
          },
          ConditionExpression: 'attribute_not_exists(#pk) OR #leaseUntil <= :now OR #owner = :owner',
          ExpressionAttributeNames: { '#pk': 'pk', '#leaseUntil': 'leaseUntil', '#owner': 'owner' },
          ExpressionAttributeValues: { ':now': now, ':owner': owner },
        }),
      ),
    );
    if (written !== undefined) return lock;
    const holder = await this.findLock(service, environment);
    throw new LockHeldError(service, environment, holder?.owner, holder?.expiresAt);
  }

  /**
   * One attempt at the deploy lock for a run that waits its turn, newest push first (as most
   * delivery systems queue: a newer push supersedes an older one still waiting).
   * - superseded: a newer version of the service holds the lock, waits for it, or already runs there;
   *   this run must not deploy an older version over it.
   * - acquired: the lock was free (or expired, or ours) and no newer run waits for it.
   * - queued: this run is the one waiting (one waiter per lock: the queue is bounded by construction);
   *   it comes back and tries again, and its entry lapses after `queueTtlSeconds` if it does not.
   */
  async acquireOrQueueLock(request: QueuedLockRequest): Promise<LockAttempt> {
    const { service, environment, owner } = parseLockRequest(request);
    const version = request.version;
    const now = this.now().getTime();
    const [holder, queue, running] = await Promise.all([
      this.findLock(service, environment),
      this.get('acquireOrQueueLock', keys.lockQueue(service, environment), [
        'waiter',
        'version',
        'queuedUntil',
      ]),
      this.get('acquireOrQueueLock', keys.environment(service, environment), ['version', 'execution']),
    ]);
    const live = (h: DeployLock | undefined) => h && h.owner !== owner && Date.parse(h.expiresAt) > now;
    if (live(holder) && holder?.version !== undefined && holder.version > version) {
      return { status: 'superseded', by: holder.owner, byVersion: holder.version };
    }
    const queued = queue && queue.waiter !== owner && Number(queue.queuedUntil) > now ? queue : undefined;
    if (queued && Number(queued.version) > version) {
      return { status: 'superseded', by: String(queued.waiter), byVersion: Number(queued.version) };
    }
    if (running?.version !== undefined && Number(running.version) > version) {
      return {
        status: 'superseded',
        by: String(running.execution ?? 'a newer release'),
        byVersion: Number(running.version),
      };
    }
    if (!queued) {
      try {
        const lock = await this.acquireLock(request);
        await this.leaveQueue(service, environment, owner);
        return { status: 'acquired', lock };
      } catch (error) {
        if (!(error instanceof LockHeldError)) throw error;
      }
    }
    // Take (or keep) the one place in the queue, unless a newer run took it in the meantime.
    const written = await this.conditionalWrite('acquireOrQueueLock', () =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.lockQueue(service, environment),
            waiter: owner,
            version,
            queuedUntil: now + Math.round(request.queueTtlSeconds * 1000),
            [BUILD_TABLE_SCHEMA.timeToLiveAttribute]: Math.ceil(now / 1000) + 86_400,
          },
          ConditionExpression:
            'attribute_not_exists(#pk) OR #waiter = :owner OR #version < :version OR #queuedUntil <= :now',
          ExpressionAttributeNames: {
            '#pk': 'pk',
            '#waiter': 'waiter',
            '#version': 'version',
            '#queuedUntil': 'queuedUntil',
          },
          ExpressionAttributeValues: { ':owner': owner, ':version': version, ':now': now },
        }),
      ),
    );
    if (written === undefined) {
      const newer = await this.get('acquireOrQueueLock', keys.lockQueue(service, environment), [
        'waiter',
        'version',
      ]);
      return { status: 'superseded', by: String(newer?.waiter), byVersion: Number(newer?.version) };
    }
    const current = await this.findLock(service, environment);
    return {
      status: 'queued',
      ...(current?.owner ? { holder: current.owner } : {}),
      ...(current?.expiresAt ? { heldUntil: current.expiresAt } : {}),
    };
  }

  /** Removes `owner`'s queue entry of (service, environment), if it is still the waiter. */
  async leaveQueue(service: string, environment: string, owner: string): Promise<boolean> {
    return this.deleteIf('leaveQueue', keys.lockQueue(service, environment), '#waiter = :owner', {
      names: { '#waiter': 'waiter' },
      values: { ':owner': owner },
    });
  }

  /**
   * The holder's heartbeat: extends the lease by `ttlSeconds` from now. True while `owner` holds the
   * lock, even if the lease ran out and nobody took it; false once another run holds it (or none).
   */
  async renewLock(request: LockRequest): Promise<boolean> {
    const { service, environment, owner, ttlSeconds } = parseLockRequest(request);
    const leaseUntil = this.now().getTime() + Math.round(ttlSeconds * 1000);
    const renewed = await this.conditionalWrite('renewLock', () =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.lock(service, environment),
          UpdateExpression: 'SET #leaseUntil = :lease, #heldUntil = :held, #ttl = :ttl',
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: {
            '#owner': 'owner',
            '#leaseUntil': 'leaseUntil',
            '#heldUntil': 'heldUntil',
            '#ttl': BUILD_TABLE_SCHEMA.timeToLiveAttribute,
          },
          ExpressionAttributeValues: {
            ':owner': owner,
            ':lease': leaseUntil,
            ':held': new Date(leaseUntil).toISOString(),
            ':ttl': Math.ceil(leaseUntil / 1000) + 86_400,
          },
        }),
      ),
    );
    return renewed !== undefined;
  }

  /** Like acquireLock, but waits up to `waitSeconds` for the holder to release or expire. */
  async acquireLockWaiting(request: LockWaitRequest): Promise<DeployLock> {
    const started = this.now().getTime();
    const deadline = started + request.waitSeconds * 1000;
    const pollMs = request.pollMs ?? 1000;
    for (;;) {
      try {
        return await this.acquireLock(request);
      } catch (error) {
        if (!(error instanceof LockHeldError)) throw error;
        const now = this.now().getTime();
        if (now + pollMs > deadline) {
          throw new LockHeldError(
            error.service,
            error.environment,
            error.holder,
            error.heldUntil,
            now - started,
          );
        }
        await this.sleep(pollMs);
      }
    }
  }

  /** Releases the lock if `owner` holds it; false when it expired and someone else took it (or none). */
  async releaseLock(request: { service: string; environment: string; owner: string }): Promise<boolean> {
    const released = await this.deleteIf(
      'releaseLock',
      keys.lock(request.service, request.environment),
      '#owner = :owner',
      { names: { '#owner': 'owner' }, values: { ':owner': request.owner } },
    );
    // A run that ends while waiting (it holds no lock then) gives its place in the queue up.
    if (!released) await this.leaveQueue(request.service, request.environment, request.owner);
    return released;
  }

  /** The current lock of (service, environment), expired or not. */
  async findLock(service: string, environment: string): Promise<DeployLock | undefined> {
    const item = await this.get('findLock', keys.lock(service, environment), [
      'service',
      'environment',
      'owner',
      'acquiredAt',
      'heldUntil',
      'leaseUntil',
      'version',
    ]);
    if (!item) return undefined;
    return {
      service: String(item.service),
      environment: String(item.environment),
      owner: String(item.owner),
      acquiredAt: String(item.acquiredAt),
      expiresAt:
        item.heldUntil !== undefined
          ? String(item.heldUntil)
          : new Date(Number(item.leaseUntil)).toISOString(),
      ...(item.version === undefined ? {} : { version: Number(item.version) }),
    };
  }

  /** A conditional delete, as a boolean: false when the condition did not hold. */
  private async deleteIf(
    operation: string,
    key: Item,
    condition: string,
    expression: { names: Record<string, string>; values: Record<string, unknown> },
  ): Promise<boolean> {
    const deleted = await this.conditionalWrite(operation, () =>
      this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: key,
          ConditionExpression: condition,
          ExpressionAttributeNames: expression.names,
          ExpressionAttributeValues: expression.values,
        }),
      ),
    );
    return deleted !== undefined;
  }

  /**
   * The one conditional write: the SDK's output when it was written, undefined when its condition did
   * not hold (ConditionalCheckFailed, alone or as a transaction's cancellation reason). Any other
   * failure is the BuildDataError of `operation`, with the SDK error as its cause.
   */
  private async conditionalWrite<T extends object>(
    operation: string,
    write: () => Promise<T>,
  ): Promise<T | undefined> {
    try {
      return await write();
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw toBuildDataError(operation, error);
    }
  }

  // ---------------------------------------------------------------- plumbing

  private nowIso(): string {
    return this.now().toISOString();
  }

  private nowEpochSeconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }

  /** The build, checked to belong to `execution` when given. */
  private async requireBuild(service: string, version: number, execution?: string) {
    const item = await this.get('readBuild', keys.build(service, version), ['team', 'execution', 'commit']);
    if (!item) throw new UnknownBuildError(service, version);
    const build = { team: String(item.team), execution: String(item.execution), commit: String(item.commit) };
    if (execution !== undefined && build.execution !== execution) {
      throw new ExecutionConflictError(execution, `v${version} of ${service} belongs to ${build.execution}`);
    }
    return build;
  }

  private async putEvent(service: string, version: number, sk: string, event: Item): Promise<void> {
    const expiresAt = Math.floor(Date.parse(String(event.at)) / 1000) + this.eventTtlSeconds;
    await this.call('recordEvent', () =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...compact(event),
            pk: keys.timeline(service, version),
            sk,
            [BUILD_TABLE_SCHEMA.timeToLiveAttribute]: expiresAt,
          },
        }),
      ),
    );
  }

  private async get(operation: string, key: Item, attributes: string[]): Promise<Item | undefined> {
    const out = await this.call(operation, () =>
      this.db.send(
        new GetCommand({
          TableName: this.tableName,
          Key: key,
          ConsistentRead: true,
          ProjectionExpression: projection(attributes),
          ExpressionAttributeNames: projectionNames(attributes),
        }),
      ),
    );
    return out.Item;
  }

  private async queryAll(operation: string, input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Record<string, unknown> | undefined;
    for (let page = 0; page < MAX_TIMELINE_PAGES; page++) {
      const out = await this.call(operation, () =>
        this.db.send(new QueryCommand({ ...input, TableName: this.tableName, ExclusiveStartKey: startKey })),
      );
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
      if (!startKey) break;
    }
    return items;
  }

  private async queryPage<T>(
    operation: string,
    page: PageRequest,
    partition: string,
    map: (item: Item) => T,
    input: Omit<QueryCommandInput, 'TableName'>,
  ): Promise<Page<T>> {
    const limit = page.limit ?? DEFAULT_PAGE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      throw new InvalidBuildInputError(`Invalid page size ${limit}: 1 to ${MAX_PAGE}`);
    }
    const startKey = page.cursor === undefined ? undefined : decodeCursor(page.cursor, partition);
    const out = await this.call(operation, () =>
      this.db.send(
        new QueryCommand({ ...input, TableName: this.tableName, Limit: limit, ExclusiveStartKey: startKey }),
      ),
    );
    const items = (out.Items ?? []).map(map);
    return out.LastEvaluatedKey ? { items, cursor: encodeCursor(out.LastEvaluatedKey) } : { items };
  }

  private async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw toBuildDataError(operation, error);
    }
  }

  // ---------------------------------------------------------------- sweeps

  /** What a sweep removed of a service (a SWEPT record in the service's partition, kept as events are). */
  async recordSweep(record: ServiceSweepRecord): Promise<void> {
    const at = parseIso(record.at, 'sweep time') ?? record.at;
    // DynamoDB's item limit is 400 KB; a sweep records tens of items.
    checkSize('sweep record', record, 350_000);
    await this.call('recordSweep', () =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...compact({ ...record, at, kind: 'SWEPT' }),
            pk: keys.service(record.service).pk,
            sk: keys.sweptSk(at),
            [BUILD_TABLE_SCHEMA.timeToLiveAttribute]:
              Math.floor(Date.parse(at) / 1000) + this.eventTtlSeconds,
          },
        }),
      ),
    );
  }

  /** A service's sweeps, newest first (one Query). */
  async listSweeps(service: string, limit = 5): Promise<ServiceSweepRecord[]> {
    const pk = keys.service(service).pk;
    const out = await this.call('listSweeps', () =>
      this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
          ExpressionAttributeValues: { ':pk': pk, ':prefix': 'SWEPT#' },
          ScanIndexForward: false,
          Limit: limit,
        }),
      ),
    );
    return (out.Items ?? []).map((item) => ({
      service: String(item.service),
      at: String(item.at),
      removed: (item.removed ?? []) as ServiceSweepRecord['removed'],
      failed: (item.failed ?? []) as ServiceSweepRecord['failed'],
    }));
  }
}

interface AllocationRecord {
  service: string;
  version: number;
  commit: string;
  execution: string;
  allocatedAt: string;
}

function buildItem(build: AllocationRecord & { team: string; status: BuildStatus }): Item {
  const { service, team, version, commit, execution, allocatedAt, status } = build;
  return {
    ...keys.build(service, version),
    gsi1pk: keys.teamIndex(team),
    gsi1sk: keys.teamBuildSk(allocatedAt, service, version),
    service,
    team,
    version,
    commit,
    execution,
    status,
    allocatedAt,
  };
}

function executionItem(record: AllocationRecord): Item {
  const { service, version, commit, execution, allocatedAt } = record;
  return { ...keys.execution(execution), execution, service, version, commit, allocatedAt };
}

function projection(attributes: string[]): string {
  return attributes.map((_, i) => `#p${i}`).join(', ');
}

function projectionNames(attributes: string[]): Record<string, string> {
  return Object.fromEntries(attributes.map((a, i) => [`#p${i}`, a]));
}

/** The document client refuses undefined values unless told; events omit them instead. */
function compact(item: Item): Item {
  return Object.fromEntries(Object.entries(item).filter(([, v]) => v !== undefined));
}

function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** Only a cursor of the same query (same partition) is accepted, so one query cannot page another. */
function decodeCursor(cursor: string, partition: string): Record<string, unknown> {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    throw new InvalidCursorError({ cause: error });
  }
  const record = key as Record<string, unknown> | null;
  const valid =
    typeof record === 'object' &&
    record !== null &&
    Object.values(record).every((v) => typeof v === 'string') &&
    (record.pk === partition || record.gsi1pk === partition);
  if (!valid) throw new InvalidCursorError();
  return record;
}

function toService(item: Item): RegisteredService {
  return {
    service: String(item.service),
    team: String(item.team),
    solution: String(item.solution),
    repo: String(item.repo),
    lastVersion: Number(item.lastVersion ?? 0),
    registeredAt: String(item.registeredAt),
  };
}

function toBuild(item: Item): Build {
  return {
    service: String(item.service),
    team: String(item.team),
    version: Number(item.version),
    commit: String(item.commit),
    execution: String(item.execution),
    status: item.status as BuildStatus,
    allocatedAt: String(item.allocatedAt),
    ...(item.startedAt ? { startedAt: String(item.startedAt) } : {}),
    ...(item.finishedAt ? { finishedAt: String(item.finishedAt) } : {}),
    ...(item.pipeShape !== undefined ? { pipeShape: item.pipeShape as JsonValue } : {}),
  };
}

function toEvent(item: Item): BuildEvent {
  const {
    pk: _pk,
    sk: _sk,
    gsi1pk: _g,
    gsi1sk: _s,
    expiresAt: _e,
    service: _sv,
    version: _v,
    ...rest
  } = item;
  return StoredEventSchema.parse(rest);
}

/**
 * An event item as recordTaskEvent, recordRun*, recordPromotion and recordControl write it (model.ts
 * BuildEvent); attributes beyond the type pass through as they were stored.
 */
const StoredEventSchema: z.ZodType<BuildEvent> = z.discriminatedUnion('kind', [
  z.looseObject({
    kind: z.literal('CONTROL'),
    at: z.string(),
    action: z.enum(CONTROL_ACTIONS),
    actor: z.string(),
    result: z.string(),
    environment: z.string().optional(),
  }),
  z.looseObject({
    kind: z.literal('RUN'),
    at: z.string(),
    phase: z.enum(['start', 'done']),
    execution: z.string(),
    outcome: z.enum(['SUCCEEDED', 'FAILED', 'ABORTED']).optional(),
    report: z.json().optional(),
  }),
  z.looseObject({
    kind: z.literal('TASK'),
    at: z.string(),
    execution: z.string(),
    task: z.string(),
    type: z.string(),
    phase: z.enum(['start', 'done']),
    environment: z.string().optional(),
    outcome: z.enum(['SUCCEEDED', 'FAILED']).optional(),
    report: z.json().optional(),
  }),
  z.looseObject({
    kind: z.literal('PROMOTION'),
    at: z.string(),
    promotion: z.enum(PROMOTION_KINDS),
    label: z.string(),
    environment: z.string(),
    evidence: z.json(),
  }),
]);

function toFailure(item: Item): Failure {
  return {
    service: String(item.service),
    version: Number(item.version),
    execution: String(item.execution),
    task: String(item.task),
    type: String(item.type),
    at: String(item.at),
    ...(item.environment ? { environment: String(item.environment) } : {}),
    ...(item.report !== undefined ? { report: item.report as JsonValue } : {}),
  };
}
