import { createHash } from 'node:crypto';
import type { GitHost } from './executionName.ts';

/**
 * How long the ledger remembers a delivery and a push: 90 days. Longer than GitHub's redelivery
 * window (deliveries of the past 3 days can be redelivered) and as long as Step Functions keeps a
 * Standard execution's name, so neither a redelivery nor a replayed body can start a second run while
 * the first one's name is still reserved.
 */
export const LEDGER_TTL_SECONDS = 90 * 24 * 60 * 60;

/**
 * A claim older than this that never reached `started` belongs to a request that died between claiming
 * and starting (the webhook Lambda times out after 30 s): a later delivery of the push takes it over.
 */
export const STALE_CLAIM_MS = 60_000;

/** One push as the ledger keys it: the same (host, repository, ref, after) is one push, whoever sends it. */
export interface PushIdentity {
  readonly host: GitHost;
  /** owner/name; compared case-insensitively, as GitHub and GitLab do. */
  readonly repo: string;
  readonly ref: string;
  readonly after: string;
}

/** Who owns a push: the delivery whose request claimed it first, and the run it starts under. */
export interface PushClaim {
  /** The execution name of the owning delivery: every delivery of the push answers with this run. */
  readonly execution: string;
  readonly delivery: string;
  /** Random per request: tells the request that won the claim from every other one, same delivery id or not. */
  readonly token: string;
  /** Epoch milliseconds. */
  readonly claimedAt: number;
  /** Set once the run was started (or found started). */
  readonly executionArn?: string;
}

export type DeliveryRecord = 'recorded' | 'redelivery' | 'conflict';

/**
 * The durable replay and idempotency guard: remembers each delivery (id and a digest of its signed
 * body) and which delivery owns each push. Shared by every Lambda container and by the local platform
 * (both keep it in the build table: lambdas/adapters/dynamo/deliveryLedger.ts). Each operation is one
 * conditional write or a consistent read, so concurrent requests agree on one owner.
 */
export interface DeliveryLedger {
  /**
   * Records `deliveryId` with the digest of its body: `recorded` the first time, `redelivery` when the
   * same id came with the same body before, `conflict` when the id came with another body (a delivery
   * id is not signed, so that is a captured body replayed under a known id, or a broken sender).
   */
  recordDelivery(host: GitHost, deliveryId: string, bodyDigest: string, now: number): Promise<DeliveryRecord>;
  /** Writes `claim` unless the push has an unexpired owner; returns the owner (`claim` itself when won). */
  claimPush(push: PushIdentity, claim: PushClaim, now: number): Promise<PushClaim>;
  /** Replaces the claim holding `staleToken` by `claim`, only if it still holds it and never started. */
  takeOver(push: PushIdentity, staleToken: string, claim: PushClaim, now: number): Promise<boolean>;
  /** Marks the claim holding `token` started, with the run's ARN. */
  markStarted(push: PushIdentity, token: string, executionArn: string): Promise<void>;
  /** Drops the claim holding `token` (its start failed), so the next delivery of the push can start it. */
  release(push: PushIdentity, token: string): Promise<void>;
}

/** Digest of the signed body bytes, as the ledger stores it (hex SHA-256). */
export function bodyDigest(body: string | Uint8Array): string {
  return createHash('sha256')
    .update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body)
    .digest('hex');
}

/** The ledger key of a push; the repository part is lower-cased (host repo paths are case-insensitive). */
export function pushLedgerKey(push: PushIdentity): string {
  return `${push.host}#${push.repo.toLowerCase()}#${push.ref}#${push.after}`;
}

/**
 * The ledger in one process's memory, for tests and tools that run one process. Same semantics as the
 * DynamoDB ledger, including expiry; the oldest entries are dropped past `capacity`.
 */
export function createMemoryDeliveryLedger(capacity = 10_000): DeliveryLedger {
  const deliveries = new Map<string, { digest: string; expiresAt: number }>();
  const pushes = new Map<string, { claim: PushClaim; expiresAt: number }>();
  const bound = <V>(map: Map<string, V>) => {
    if (map.size <= capacity) return;
    const oldest = map.keys().next();
    if (oldest.done !== true) map.delete(oldest.value);
  };
  const ttlMs = LEDGER_TTL_SECONDS * 1000;
  return {
    async recordDelivery(host, deliveryId, digest, now) {
      const key = `${host}#${deliveryId}`;
      const seen = deliveries.get(key);
      if (seen !== undefined && seen.expiresAt > now)
        return seen.digest === digest ? 'redelivery' : 'conflict';
      deliveries.set(key, { digest, expiresAt: now + ttlMs });
      bound(deliveries);
      return 'recorded';
    },
    async claimPush(push, claim, now) {
      const key = pushLedgerKey(push);
      const owner = pushes.get(key);
      if (owner !== undefined && owner.expiresAt > now) return owner.claim;
      pushes.set(key, { claim, expiresAt: now + ttlMs });
      bound(pushes);
      return claim;
    },
    async takeOver(push, staleToken, claim, now) {
      const key = pushLedgerKey(push);
      const owner = pushes.get(key);
      if (owner === undefined || owner.claim.token !== staleToken || owner.claim.executionArn !== undefined)
        return false;
      pushes.set(key, { claim, expiresAt: now + ttlMs });
      return true;
    },
    async markStarted(push, token, executionArn) {
      const owner = pushes.get(pushLedgerKey(push));
      if (owner !== undefined && owner.claim.token === token) {
        owner.claim = { ...owner.claim, executionArn };
      }
    },
    async release(push, token) {
      const key = pushLedgerKey(push);
      if (pushes.get(key)?.claim.token === token) pushes.delete(key);
    },
  };
}
