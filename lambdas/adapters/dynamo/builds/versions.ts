/**
 * Services and their versions: registration, and the atomic, gapless, idempotent version allocation
 * (why one UpdateItem on the service item and no transaction: see allocateVersion).
 */
import { BatchGetCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  BuildDataUnavailableError,
  ExecutionConflictError,
  UnknownServiceError,
} from '../../../core/builds/errors.ts';
import {
  type AllocatedVersion,
  parseRegistration,
  parseVersionRequest,
  type RegisteredService,
  type ServiceRegistration,
  type VersionRequest,
} from '../../../core/builds/model.ts';
import { keys } from '../keys.ts';
import { buildItem, executionItem, type Item, toService } from './items.ts';
import type { BuildTable } from './table.ts';

/** Idempotency entries are pruned on every Nth allocation of a service: amortised housekeeping. */
const PRUNE_EVERY = 25;
const PRUNE_BATCH = 25;
const MAX_PRUNE_MARKS = 20;
/** The commit of an ABANDONED build: its allocating request died and never came back. */
const ABANDONED_COMMIT = '';

export class ServiceVersions {
  constructor(private readonly table: BuildTable) {}

  /** Registers a service (or updates its team, solution and repo), keeping its version counter. */
  async registerService(registration: ServiceRegistration): Promise<void> {
    const { service, team, solution, repo } = parseRegistration(registration);
    await this.table.call('registerService', () =>
      this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
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
            ':now': this.table.nowIso(),
            ':zero': 0,
            ':empty': {},
            ':gpk': keys.servicesIndex,
          },
        }),
      ),
    );
  }

  async getService(service: string): Promise<RegisteredService | undefined> {
    const item = await this.table.get('getService', keys.service(service), [
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
    const items = await this.table.queryAll('listServices', {
      IndexName: 'gsi1',
      KeyConditionExpression: '#gpk = :gpk',
      ExpressionAttributeNames: { '#gpk': 'gsi1pk' },
      ExpressionAttributeValues: { ':gpk': keys.servicesIndex },
    });
    return items.map(toService);
  }

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
      const claimed = await this.table.get('allocateVersion', keys.execution(execution), [
        'service',
        'version',
        'commit',
      ]);
      if (claimed) return this.answerFromClaim(execution, claimed, service, commit);

      const allocatedAt = this.table.nowIso();
      const out = await this.table.conditionalWrite('allocateVersion', () =>
        this.table.db.send(
          new UpdateCommand({
            TableName: this.table.name,
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
        await this.table.writeAll('allocateVersion', [
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
    const out = await this.table.call('allocateVersion', () =>
      this.table.db.send(
        new GetCommand({
          TableName: this.table.name,
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
    const allocatedAt = this.table.nowIso();
    const written = await this.table.conditionalWrite('allocateVersion', () =>
      this.table.db.send(
        new PutCommand({
          TableName: this.table.name,
          Item: executionItem({ ...build, allocatedAt }),
          ConditionExpression: 'attribute_not_exists(#pk) OR #commit = :commit OR #commit = :abandoned',
          ExpressionAttributeNames: { '#pk': 'pk', '#commit': 'commit' },
          ExpressionAttributeValues: { ':commit': commit, ':abandoned': ABANDONED_COMMIT },
        }),
      ),
    );
    if (written === undefined) {
      const claimed = await this.table.get('allocateVersion', keys.execution(execution), ['commit']);
      throw new ExecutionConflictError(
        execution,
        `v${version} of ${service} was built from ${claimed?.commit}`,
      );
    }
    const adopted = await this.table.conditionalWrite('allocateVersion', () =>
      this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
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
    await this.table.conditionalWrite('allocateVersion', () =>
      this.table.db.send(
        new PutCommand({
          TableName: this.table.name,
          Item: buildItem({ ...build, allocatedAt, status: 'ALLOCATED' }),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': 'pk' },
        }),
      ),
    );
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
    const item = await this.table.get('pruneAllocations', keys.service(service), [
      'team',
      'lastVersion',
      'allocationVersions',
      'pruneMarks',
    ]);
    if (!item) return;
    const now = this.table.now().getTime();
    const cutoff = now - this.table.graceMs;
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
    await this.table.call('pruneAllocations', () =>
      this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
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
      const found = await this.table.call('pruneAllocations', () =>
        this.table.db.send(
          new BatchGetCommand({
            RequestItems: {
              [this.table.name]: {
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
      const present = new Set((found.Responses?.[this.table.name] ?? []).map((r) => String(r.execution)));
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
      await this.table.conditionalWrite('pruneAllocations', () =>
        this.table.db.send(
          new UpdateCommand({
            TableName: this.table.name,
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
    const allocatedAt = this.table.nowIso();
    const record = { service, team, version, commit: ABANDONED_COMMIT, execution, allocatedAt };
    for (const Item of [buildItem({ ...record, status: 'ABANDONED' }), executionItem(record)]) {
      await this.table.conditionalWrite('pruneAllocations', () =>
        this.table.db.send(
          new PutCommand({
            TableName: this.table.name,
            Item,
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': 'pk' },
          }),
        ),
      );
    }
  }
}
