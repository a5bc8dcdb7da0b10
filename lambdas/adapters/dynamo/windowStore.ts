/**
 * The WindowStore port on the build table: one item per (service, environment), `WINDOW#<s>#<env>`
 * / `WINDOW` (see tableSchema.ts). Opening replaces the previous window; closing is a conditional
 * update on (state OPEN, token), so of the alarm event and the window-end schedule exactly one wins.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { OpenWindow, WindowStore } from '../../core/evidence/windowStore.ts';
import { keys } from './keys.ts';
import { toBuildDataError, writeIfConditionHolds } from './sdkErrors.ts';

export interface DynamoWindowStoreOptions {
  readonly client: DynamoDBClient | DynamoDBDocumentClient;
  readonly tableName: string;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/** A window as its item stores it: the OpenWindow fields, read back without the keys and state. */
const StoredWindowSchema = z.object({
  service: z.string(),
  environment: z.string(),
  execution: z.string(),
  version: z.number(),
  token: z.string(),
  startedAt: z.string(),
  endsAt: z.string(),
  step: z.number().optional(),
  minBotSamples: z.number().optional(),
  graceSeconds: z.number().optional(),
  ignoreAlarms: z.boolean().optional(),
});
const WINDOW_FIELDS = StoredWindowSchema.keyof().options;

export class DynamoWindowStore implements WindowStore {
  private readonly db: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly now: () => Date;

  constructor(options: DynamoWindowStoreOptions) {
    this.db =
      options.client instanceof DynamoDBClient
        ? DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } })
        : options.client;
    this.tableName = options.tableName;
    this.now = options.now ?? (() => new Date());
  }

  async openWindow(window: OpenWindow): Promise<void> {
    const item: Record<string, unknown> = {
      ...keys.window(window.service, window.environment),
      state: 'OPEN',
    };
    for (const field of WINDOW_FIELDS) {
      const value = window[field];
      if (value !== undefined) item[field] = value;
    }
    try {
      await this.db.send(new PutCommand({ TableName: this.tableName, Item: item }));
    } catch (error) {
      throw toBuildDataError('openWindow', error);
    }
  }

  async findOpenWindow(service: string, environment: string): Promise<OpenWindow | undefined> {
    try {
      const out = await this.db.send(
        new GetCommand({
          TableName: this.tableName,
          Key: keys.window(service, environment),
          ConsistentRead: true,
        }),
      );
      const item = out.Item;
      if (item?.state !== 'OPEN') return undefined;
      return StoredWindowSchema.parse(item);
    } catch (error) {
      throw toBuildDataError('findOpenWindow', error);
    }
  }

  async closeWindow(service: string, environment: string, token: string): Promise<boolean> {
    const closed = await writeIfConditionHolds(
      () =>
        this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.window(service, environment),
            UpdateExpression: 'SET #state = :closed, #closedAt = :now',
            ConditionExpression: '#state = :open AND #token = :token',
            ExpressionAttributeNames: { '#state': 'state', '#closedAt': 'closedAt', '#token': 'token' },
            ExpressionAttributeValues: {
              ':closed': 'CLOSED',
              ':open': 'OPEN',
              ':token': token,
              ':now': this.now().toISOString(),
            },
          }),
        ),
      (error) => toBuildDataError('closeWindow', error),
    );
    return closed !== undefined;
  }
}
