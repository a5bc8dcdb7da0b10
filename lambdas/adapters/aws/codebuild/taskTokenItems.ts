/**
 * Where a build's task token waits for the buildspec: an item of the build table (encrypted at rest,
 * expiring with the table's TTL), so the token is never a CodeBuild environment variable (those are
 * shown by BatchGetBuilds and the console, and logged in CloudTrail's StartBuild request). The build
 * gets only the item's key; its role may read items of its own service's token prefix only.
 */
import { createHash } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';

/** `pk` prefix of token items: `TASKTOKEN#<service>#<32 hex of the token's SHA-256>`, `sk` TOKEN. */
export const TASK_TOKEN_KEY_PREFIX = 'TASKTOKEN#';
export const TASK_TOKEN_SORT_KEY = 'TOKEN';
/** Past the longest build callback (9 h): the item outlives any build that could still read it. */
const TOKEN_ITEM_TTL_SECONDS = 10 * 3600;

export interface StoredTaskToken {
  readonly table: string;
  readonly key: string;
}

export interface TaskTokenStore {
  store(service: string, token: string): Promise<StoredTaskToken>;
}

export function taskTokenKey(service: string, token: string): string {
  return `${TASK_TOKEN_KEY_PREFIX}${service}#${createHash('sha256').update(token).digest('hex').slice(0, 32)}`;
}

export function dynamoTaskTokenItems(
  client: DynamoDBClient,
  tableName: string,
  now: () => number = Date.now,
): TaskTokenStore {
  const doc = DynamoDBDocumentClient.from(client);
  return {
    async store(service, token) {
      const key = taskTokenKey(service, token);
      // Unconditional: a retried invocation writes the same token under the same key.
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: key,
            sk: TASK_TOKEN_SORT_KEY,
            token,
            expiresAt: Math.floor(now() / 1000) + TOKEN_ITEM_TTL_SECONDS,
          },
        }),
      );
      return { table: tableName, key };
    },
  };
}
