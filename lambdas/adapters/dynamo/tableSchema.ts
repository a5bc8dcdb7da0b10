/**
 * The build data table: one DynamoDB table, single-table design. The CDK stack (lib/) and the local
 * platform (dynalite) both create it from `BUILD_TABLE_SCHEMA`, so they cannot drift apart.
 *
 * Keys: `pk` (S) partition, `sk` (S) sort. One overloaded GSI `gsi1` (`gsi1pk`, `gsi1sk`, ALL).
 * TTL attribute `expiresAt` (epoch seconds): only events, lock leftovers and the webhook ledger carry it.
 * Versions are zero-padded to 10 digits in keys so string order is numeric order.
 *
 * | item          | pk                         | sk                              | gsi1pk          | gsi1sk                       | TTL |
 * | ------------- | -------------------------- | ------------------------------- | --------------- | ---------------------------- | --- |
 * | service       | SERVICE#<service>          | SERVICE                         | SERVICES        | <service>                    | no  |
 * | build         | SERVICE#<service>          | BUILD#<version>                 | TEAM#<team>     | <allocatedAt>#<service>#<v>  | no  |
 * | environment   | SERVICE#<service>          | ENV#<environment>               |                 |                              | no  |
 * | execution     | EXECUTION#<execution>      | EXECUTION                       |                 |                              | no  |
 * | run event     | BUILD#<service>#<version>  | EV#<at>#run#<phase>             |                 |                              | yes |
 * | task event    | BUILD#<service>#<version>  | EV#<at>#task#<task>#<phase>     | FAILURES#<team> | <at>#<service>#<v>#<task>    | yes |
 * | promotion     | BUILD#<service>#<version>  | EV#<at>#promotion#<KIND>:<env>  |                 |                              | no  |
 * | control       | BUILD#<service>#<version>  | EV#<at>#control#<action>        |                 |                              | yes |
 * | deploy lock   | LOCK#<service>#<env>       | LOCK                            |                 |                              | yes |
 * | lock queue    | LOCK#<service>#<env>       | QUEUE                           |                 |                              | yes |
 * | data marker   | PLATFORM                   | BUILD-DATA                      |                 |                              | no  |
 * | window        | WINDOW#<service>#<env>     | WINDOW                          |                 |                              | no  |
 * | delivery      | WEBHOOK#DELIVERY#<host>#<id> | DELIVERY                      |                 |                              | yes |
 * | push          | WEBHOOK#PUSH#<host>#<repo>#<ref>#<after> | PUSH            |                 |                              | yes |
 *
 * (a task event is in gsi1 only when it is a FAILED `done`: a sparse index of failures.)
 *
 * Service item: `{ service, team, solution, repo, registeredAt, lastVersion, allocationVersions:
 * { <execution>: <version> }, pruneMarks: [{ at, lastVersion }] }`. The map holds recent allocations,
 * keyed by execution, for idempotency (see BuildRepository.allocateVersion); entries are pruned after a
 * grace period once their build and execution items exist.
 * Build item: `{ service, team, version, commit, execution, status, allocatedAt, startedAt?,
 * finishedAt?, pipeShape? }`. Execution item: `{ execution, service, version, commit }`.
 * Webhook ledger (lambdas/adapters/dynamo/deliveryLedger.ts), both kept 90 days (LEDGER_TTL_SECONDS,
 * longer than GitHub's 3-day redelivery window), an expired one counting as absent:
 * delivery item `{ host, delivery, bodyDigest (hex SHA-256 of the signed body), recordedAt }`, written
 * once per delivery id; push item `{ execution, delivery, token, claimedAt, executionArn? }`, the one
 * delivery (and run) that owns a push (host, repo in lower case, ref, after), written by conditional put.
 *
 * Access patterns, each one Query or GetItem, never a Scan:
 * - builds of a service, newest first, paged: Query pk=SERVICE#s, sk begins_with BUILD#, descending
 * - builds of a team, newest first: Query gsi1 gsi1pk=TEAM#t, descending
 * - events of a build in order (tasks, run, promotions interleaved by time): Query pk=BUILD#s#v, sk begins_with EV#
 * - what runs where: Query pk=SERVICE#s, sk begins_with ENV#
 * - recent failures of a team: Query gsi1 gsi1pk=FAILURES#t, descending
 * - registered services: Query gsi1 gsi1pk=SERVICES
 * - the version of an execution, a lock, its queue, a window, the data marker, a webhook delivery or
 *   push: GetItem
 * Deploy lock: `{ owner, version?, acquiredAt, leaseUntil (epoch ms), heldUntil (ISO) }`; its queue holds
 * the one waiting run `{ waiter, version, queuedUntil }` (newest push wins the place). The data marker
 * `{ dataId, createdAt }` tells a table that holds Vouch's history from an empty one (see buildData.ts).
 *
 * On AWS: on-demand billing, point-in-time recovery and encryption at rest (set by the CDK stack).
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { BuildTableNotReadyError } from '../../core/builds/errors.ts';

export interface KeyAttribute {
  readonly name: string;
  /** DynamoDB attribute type: S (string). */
  readonly type: 'S';
}

export interface GlobalIndexSchema {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
  readonly projection: 'ALL';
}

export interface BuildTableSchema {
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
  readonly globalSecondaryIndexes: readonly GlobalIndexSchema[];
  /** Number attribute, epoch seconds; DynamoDB deletes the item some time after it passes. */
  readonly timeToLiveAttribute: string;
  readonly billing: 'PAY_PER_REQUEST';
}

export const BUILD_TABLE_SCHEMA: BuildTableSchema = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  globalSecondaryIndexes: [
    {
      indexName: 'gsi1',
      partitionKey: { name: 'gsi1pk', type: 'S' },
      sortKey: { name: 'gsi1sk', type: 'S' },
      projection: 'ALL',
    },
  ],
  timeToLiveAttribute: 'expiresAt',
  billing: 'PAY_PER_REQUEST',
};

/** The default table name on one machine; on AWS the stack passes its own through the environment. */
export const DEFAULT_BUILD_TABLE_NAME = 'vouch-builds';

function attributeDefinitions(schema: BuildTableSchema) {
  const all = [schema.partitionKey, schema.sortKey];
  for (const index of schema.globalSecondaryIndexes) all.push(index.partitionKey, index.sortKey);
  const unique = new Map(all.map((a) => [a.name, a]));
  return [...unique.values()].map((a) => ({ AttributeName: a.name, AttributeType: a.type }));
}

/**
 * Creates the build table if missing and waits until it is ACTIVE (local and test use; on AWS the
 * CDK stack owns the table). Idempotent: an existing table is only waited for.
 */
export async function createBuildTable(
  client: DynamoDBClient,
  tableName: string,
  schema: BuildTableSchema = BUILD_TABLE_SCHEMA,
): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: schema.billing,
        AttributeDefinitions: attributeDefinitions(schema),
        KeySchema: [
          { AttributeName: schema.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: schema.sortKey.name, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: schema.globalSecondaryIndexes.map((index) => ({
          IndexName: index.indexName,
          KeySchema: [
            { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
            { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: index.projection },
        })),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitForActive(client, tableName);
  await enableTimeToLive(client, tableName, schema.timeToLiveAttribute);
}

async function waitForActive(client: DynamoDBClient, tableName: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delayMs = 20;
  for (;;) {
    try {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      const indexesReady = (Table?.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE');
      if (Table?.TableStatus === 'ACTIVE' && indexesReady) return;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    if (Date.now() > deadline) throw new BuildTableNotReadyError(tableName, timeoutMs);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    delayMs = Math.min(delayMs * 2, 2_000);
  }
}

/**
 * Turns TTL on. dynalite 4 does not implement UpdateTimeToLive (it answers UnknownOperationException)
 * and never expires items, which is why reads filter out events past their `expiresAt` themselves.
 */
async function enableTimeToLive(client: DynamoDBClient, tableName: string, attribute: string): Promise<void> {
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: attribute, Enabled: true },
      }),
    );
  } catch (error) {
    const name = (error as { name?: string }).name;
    // Already enabled (AWS answers ValidationException "TimeToLive is already enabled"), or dynalite.
    if (name === 'UnknownOperationException' || name === 'ValidationException') return;
    throw error;
  }
}
