/**
 * Deploy locks of (service, environment): leases kept by a heartbeat, and a one-place queue in which
 * the newest push waits its turn.
 */
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { LockHeldError } from '../../../core/builds/errors.ts';
import {
  type DeployLock,
  type LockAttempt,
  type LockRequest,
  parseLockRequest,
  type QueuedLockRequest,
} from '../../../core/builds/model.ts';
import { keys } from '../keys.ts';
import { BUILD_TABLE_SCHEMA } from '../tableSchema.ts';
import type { BuildTable } from './table.ts';

export interface LockWaitRequest extends LockRequest {
  /** How long to wait for the holder to release or expire before failing with LockHeldError. */
  readonly waitSeconds: number;
  /** @default 1000 */
  readonly pollMs?: number;
}

export class DeployLocks {
  constructor(private readonly table: BuildTable) {}

  /**
   * Takes the deploy lock of (service, environment) for `ttlSeconds`: a conditional put that wins when
   * there is no lock, the lock has expired (a crashed pipeline), or the owner already holds it (renewal).
   * The lease is `leaseUntil` (epoch ms); `heldUntil` is its ISO form. The table's TTL attribute
   * (`expiresAt`) only sweeps leftovers a day later, so it must not be read back as the lease.
   */
  async acquireLock(request: LockRequest & { version?: number }): Promise<DeployLock> {
    const { service, environment, owner, ttlSeconds } = parseLockRequest(request);
    const now = this.table.now().getTime();
    const leaseUntil = now + Math.round(ttlSeconds * 1000);
    const lock: DeployLock = {
      service,
      environment,
      owner,
      acquiredAt: new Date(now).toISOString(),
      expiresAt: new Date(leaseUntil).toISOString(),
      ...(request.version === undefined ? {} : { version: request.version }),
    };
    const written = await this.table.conditionalWrite('acquireLock', () =>
      this.table.db.send(
        new PutCommand({
          TableName: this.table.name,
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
    const now = this.table.now().getTime();
    const [holder, queue, running] = await Promise.all([
      this.findLock(service, environment),
      this.table.get('acquireOrQueueLock', keys.lockQueue(service, environment), [
        'waiter',
        'version',
        'queuedUntil',
      ]),
      this.table.get('acquireOrQueueLock', keys.environment(service, environment), ['version', 'execution']),
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
    const written = await this.table.conditionalWrite('acquireOrQueueLock', () =>
      this.table.db.send(
        new PutCommand({
          TableName: this.table.name,
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
      const newer = await this.table.get('acquireOrQueueLock', keys.lockQueue(service, environment), [
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
    return this.table.deleteIf('leaveQueue', keys.lockQueue(service, environment), '#waiter = :owner', {
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
    const leaseUntil = this.table.now().getTime() + Math.round(ttlSeconds * 1000);
    const renewed = await this.table.conditionalWrite('renewLock', () =>
      this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
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
    const started = this.table.now().getTime();
    const deadline = started + request.waitSeconds * 1000;
    const pollMs = request.pollMs ?? 1000;
    for (;;) {
      try {
        return await this.acquireLock(request);
      } catch (error) {
        if (!(error instanceof LockHeldError)) throw error;
        const now = this.table.now().getTime();
        if (now + pollMs > deadline) {
          throw new LockHeldError(
            error.service,
            error.environment,
            error.holder,
            error.heldUntil,
            now - started,
          );
        }
        await this.table.sleep(pollMs);
      }
    }
  }

  /** Releases the lock if `owner` holds it; false when it expired and someone else took it (or none). */
  async releaseLock(request: { service: string; environment: string; owner: string }): Promise<boolean> {
    const released = await this.table.deleteIf(
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
    const item = await this.table.get('findLock', keys.lock(service, environment), [
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
}
