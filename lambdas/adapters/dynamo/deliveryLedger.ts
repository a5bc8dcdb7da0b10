/**
 * The webhook's replay and idempotency guard on the build table (`DeliveryLedger`): one item per
 * delivery id (`WEBHOOK#DELIVERY#<host>#<id>`, the digest of its signed body) and one per push
 * (`WEBHOOK#PUSH#<host>#<repo>#<ref>#<after>`, the delivery and run that own it); layout in
 * tableSchema.ts. Every write is conditional, so all Lambda containers (and the local platform, on
 * dynalite) agree on one owner per push. Items carry `expiresAt` (LEDGER_TTL_SECONDS) and an expired
 * item counts as absent, since DynamoDB deletes it only some time later (and dynalite never does).
 * Kept apart from BuildRepository: the webhook's role may touch only `WEBHOOK#` partitions.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type DeliveryLedger,
  type DeliveryRecord,
  LEDGER_TTL_SECONDS,
  type PushClaim,
  type PushIdentity,
  pushLedgerKey,
} from '../../core/webhook/deliveryLedger.ts';
import { DeliveryLedgerError } from '../../core/webhook/errors.ts';
import type { GitHost } from '../../core/webhook/executionName.ts';
import { keys } from './keys.ts';
import { writeIfConditionHolds } from './sdkErrors.ts';

export interface DynamoDeliveryLedgerOptions {
  readonly client: DynamoDBClient | DynamoDBDocumentClient;
  readonly tableName: string;
}

/** Absent, or present but past its expiry: the slot may be (re)written. */
const FREE = 'attribute_not_exists(pk) OR expiresAt < :nowSeconds';

export class DynamoDeliveryLedger implements DeliveryLedger {
  private readonly db: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: DynamoDeliveryLedgerOptions) {
    this.db =
      options.client instanceof DynamoDBClient
        ? DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } })
        : options.client;
    this.tableName = options.tableName;
  }

  async recordDelivery(
    host: GitHost,
    deliveryId: string,
    bodyDigest: string,
    now: number,
  ): Promise<DeliveryRecord> {
    const key = keys.webhookDelivery(host, deliveryId);
    const item = { ...key, host, delivery: deliveryId, bodyDigest, recordedAt: now, expiresAt: expiry(now) };
    for (let attempt = 0; attempt < 2; attempt++) {
      if (await this.putIfFree('recordDelivery', item, now)) return 'recorded';
      const seen = await this.read('recordDelivery', key);
      // Gone between the two calls (expired and deleted): write again.
      if (seen === undefined) continue;
      return seen.bodyDigest === bodyDigest ? 'redelivery' : 'conflict';
    }
    throw new DeliveryLedgerError(`delivery ${deliveryId} could not be recorded`);
  }

  async claimPush(push: PushIdentity, claim: PushClaim, now: number): Promise<PushClaim> {
    const key = keys.webhookPush(pushLedgerKey(push));
    const item = { ...key, ...claim, expiresAt: expiry(now) };
    for (let attempt = 0; attempt < 2; attempt++) {
      if (await this.putIfFree('claimPush', item, now)) return claim;
      const owner = await this.read('claimPush', key);
      if (owner !== undefined) return claimOf(owner);
    }
    throw new DeliveryLedgerError(`push ${pushLedgerKey(push).slice(0, 200)} could not be claimed`);
  }

  async takeOver(push: PushIdentity, staleToken: string, claim: PushClaim, now: number): Promise<boolean> {
    return this.write('takeOver', () =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.webhookPush(pushLedgerKey(push)),
          UpdateExpression:
            'SET execution = :execution, delivery = :delivery, #token = :token, claimedAt = :claimedAt, expiresAt = :expiresAt',
          ConditionExpression: '#token = :stale AND attribute_not_exists(executionArn)',
          ExpressionAttributeNames: { '#token': 'token' },
          ExpressionAttributeValues: {
            ':execution': claim.execution,
            ':delivery': claim.delivery,
            ':token': claim.token,
            ':claimedAt': claim.claimedAt,
            ':expiresAt': expiry(now),
            ':stale': staleToken,
          },
        }),
      ),
    );
  }

  async markStarted(push: PushIdentity, token: string, executionArn: string): Promise<void> {
    // Not written when another request took the claim over: the run has the same name, its ARN is theirs.
    await this.write('markStarted', () =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.webhookPush(pushLedgerKey(push)),
          UpdateExpression: 'SET executionArn = :arn',
          ConditionExpression: '#token = :token',
          ExpressionAttributeNames: { '#token': 'token' },
          ExpressionAttributeValues: { ':arn': executionArn, ':token': token },
        }),
      ),
    );
  }

  async release(push: PushIdentity, token: string): Promise<void> {
    await this.write('release', () =>
      this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.webhookPush(pushLedgerKey(push)),
          ConditionExpression: '#token = :token',
          ExpressionAttributeNames: { '#token': 'token' },
          ExpressionAttributeValues: { ':token': token },
        }),
      ),
    );
  }

  /** Conditional put: true when written, false when an unexpired item holds the key. */
  private async putIfFree(operation: string, item: Record<string, unknown>, now: number): Promise<boolean> {
    return this.write(operation, () =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: FREE,
          ExpressionAttributeValues: { ':nowSeconds': Math.floor(now / 1000) },
        }),
      ),
    );
  }

  /**
   * A conditional write: true when written, false when its condition did not hold; any other
   * failure is a DeliveryLedgerError naming `operation`.
   */
  private async write(operation: string, send: () => Promise<object>): Promise<boolean> {
    const written = await writeIfConditionHolds(
      send,
      (error) => new DeliveryLedgerError(`${operation} failed`, { cause: error }),
    );
    return written !== undefined;
  }

  private async read(
    operation: string,
    key: { pk: string; sk: string },
  ): Promise<Record<string, unknown> | undefined> {
    try {
      const out = await this.db.send(
        new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
      );
      return out.Item;
    } catch (error) {
      throw new DeliveryLedgerError(`${operation} failed`, { cause: error });
    }
  }
}

function expiry(now: number): number {
  return Math.floor(now / 1000) + LEDGER_TTL_SECONDS;
}

function claimOf(item: Record<string, unknown>): PushClaim {
  return {
    execution: String(item.execution),
    delivery: String(item.delivery),
    token: String(item.token),
    claimedAt: Number(item.claimedAt),
    ...(typeof item.executionArn === 'string' ? { executionArn: item.executionArn } : {}),
  };
}
