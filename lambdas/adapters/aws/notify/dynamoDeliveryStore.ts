/**
 * Delivery progress on the build table (single-table design, see lambdas/adapters/dynamo/tableSchema.ts):
 * item pk `NOTIFY#<id>`, sk `NOTIFY`, expiring after 14 days (SNS and Lambda retries are over long before).
 * The claim is a conditional write, so two copies of one SNS event never deliver in parallel.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DeliveryRecord, DeliveryStore } from '../../slack/ports.ts';

const RETENTION_SECONDS = 14 * 24 * 3600;

export function notificationKey(id: string): { pk: string; sk: string } {
  return { pk: `NOTIFY#${id}`, sk: 'NOTIFY' };
}

export class DynamoDeliveryStore implements DeliveryStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  async get(id: string): Promise<DeliveryRecord | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: notificationKey(id), ConsistentRead: true }),
    );
    return out.Item?.record as DeliveryRecord | undefined;
  }

  async claim(id: string, owner: string, leaseMs: number): Promise<boolean> {
    const now = this.now();
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: notificationKey(id),
          UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until, expiresAt = :expires',
          ConditionExpression:
            '(attribute_not_exists(leaseUntil) OR leaseUntil < :now OR leaseOwner = :owner) AND (attribute_not_exists(#record.completed) OR #record.completed = :false)',
          ExpressionAttributeNames: { '#record': 'record' },
          ExpressionAttributeValues: {
            ':owner': owner,
            ':until': now + leaseMs,
            ':now': now,
            ':false': false,
            ':expires': Math.floor(now / 1000) + RETENTION_SECONDS,
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async put(record: DeliveryRecord): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: notificationKey(record.id),
        UpdateExpression: 'SET #record = :record, expiresAt = :expires',
        ExpressionAttributeNames: { '#record': 'record' },
        ExpressionAttributeValues: {
          ':record': record,
          ':expires': Math.floor(this.now() / 1000) + RETENTION_SECONDS,
        },
      }),
    );
  }

  async release(id: string, owner: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: notificationKey(id),
          UpdateExpression: 'REMOVE leaseOwner, leaseUntil',
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
