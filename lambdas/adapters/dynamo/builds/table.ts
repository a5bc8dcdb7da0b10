/**
 * The build table as the parts of BuildRepository share it: one document client, the clock, the limits,
 * and the plumbing every part writes and reads with (one conditional write, one error translation).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import {
  BuildDataThrottledError,
  ExecutionConflictError,
  InvalidBuildInputError,
  UnknownBuildError,
} from '../../../core/builds/errors.ts';
import type { Page, PageRequest } from '../../../core/builds/model.ts';
import { keys } from '../keys.ts';
import { toBuildDataError, writeIfConditionHolds } from '../sdkErrors.ts';
import { BUILD_TABLE_SCHEMA } from '../tableSchema.ts';
import {
  compact,
  decodeCursor,
  encodeCursor,
  type Item,
  MAX_PAGE,
  projection,
  projectionNames,
} from './items.ts';

const DEFAULT_PAGE = 20;
/** A Query returns at most 1 MB; a build's timeline is far below this many pages. */
const MAX_TIMELINE_PAGES = 50;

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

export class BuildTable {
  readonly name: string;
  readonly db: DynamoDBDocumentClient;
  readonly now: () => Date;
  readonly eventTtlSeconds: number;
  readonly maxReportBytes: number;
  readonly maxPipeShapeBytes: number;
  readonly graceMs: number;
  readonly sleep: (ms: number) => Promise<void>;

  constructor(options: BuildRepositoryOptions) {
    this.name = options.tableName;
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

  /** A conditional delete, as a boolean: false when the condition did not hold. */
  async deleteIf(
    operation: string,
    key: Item,
    condition: string,
    expression: { names: Record<string, string>; values: Record<string, unknown> },
  ): Promise<boolean> {
    const deleted = await this.conditionalWrite(operation, () =>
      this.db.send(
        new DeleteCommand({
          TableName: this.name,
          Key: key,
          ConditionExpression: condition,
          ExpressionAttributeNames: expression.names,
          ExpressionAttributeValues: expression.values,
        }),
      ),
    );
    return deleted !== undefined;
  }

  /** A conditional write of this table (see writeIfConditionHolds); other failures are BuildDataErrors. */
  conditionalWrite<T extends object>(operation: string, write: () => Promise<T>): Promise<T | undefined> {
    return writeIfConditionHolds(write, (error) => toBuildDataError(operation, error));
  }

  nowIso(): string {
    return this.now().toISOString();
  }

  nowEpochSeconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }

  /** The build, checked to belong to `execution` when given. */
  async requireBuild(service: string, version: number, execution?: string) {
    const item = await this.get('readBuild', keys.build(service, version), ['team', 'execution', 'commit']);
    if (!item) throw new UnknownBuildError(service, version);
    const build = { team: String(item.team), execution: String(item.execution), commit: String(item.commit) };
    if (execution !== undefined && build.execution !== execution) {
      throw new ExecutionConflictError(execution, `v${version} of ${service} belongs to ${build.execution}`);
    }
    return build;
  }

  async putEvent(service: string, version: number, sk: string, event: Item): Promise<void> {
    const expiresAt = Math.floor(Date.parse(String(event.at)) / 1000) + this.eventTtlSeconds;
    await this.call('recordEvent', () =>
      this.db.send(
        new PutCommand({
          TableName: this.name,
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

  async get(operation: string, key: Item, attributes: string[]): Promise<Item | undefined> {
    const out = await this.call(operation, () =>
      this.db.send(
        new GetCommand({
          TableName: this.name,
          Key: key,
          ConsistentRead: true,
          ProjectionExpression: projection(attributes),
          ExpressionAttributeNames: projectionNames(attributes),
        }),
      ),
    );
    return out.Item;
  }

  async queryAll(operation: string, input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Record<string, unknown> | undefined;
    for (let page = 0; page < MAX_TIMELINE_PAGES; page++) {
      const out = await this.call(operation, () =>
        this.db.send(new QueryCommand({ ...input, TableName: this.name, ExclusiveStartKey: startKey })),
      );
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
      if (!startKey) break;
    }
    return items;
  }

  async queryPage<T>(
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
        new QueryCommand({ ...input, TableName: this.name, Limit: limit, ExclusiveStartKey: startKey }),
      ),
    );
    const items = (out.Items ?? []).map(map);
    return out.LastEvaluatedKey ? { items, cursor: encodeCursor(out.LastEvaluatedKey) } : { items };
  }

  async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw toBuildDataError(operation, error);
    }
  }

  /** BatchWriteItem with its unprocessed items retried (bounded, with backoff). */
  async writeAll(operation: string, items: Item[]): Promise<void> {
    for (let i = 0; i < items.length; i += 25) {
      let requests = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt === 8) throw new BuildDataThrottledError(`${operation} (unprocessed batch items)`);
        if (attempt > 0) await this.sleep(Math.min(50 * 2 ** attempt, 2_000));
        const out = await this.call(operation, () =>
          this.db.send(new BatchWriteCommand({ RequestItems: { [this.name]: requests } })),
        );
        requests = (out.UnprocessedItems?.[this.name] ?? []) as typeof requests;
      }
    }
  }
}
