/**
 * Lost build data is reported, never silently restarted. The local build table lives in LevelDB
 * under `.vouch/data`; dynalite opens a missing folder as a new, empty table (versions would start at
 * 1 again) and dies with "Database is closed" on a corrupted one. So the platform keeps two markers of
 * the same random id: one item in the table (`PLATFORM`/`BUILD-DATA`) and a file beside the folder
 * (`.vouch/build-data.json`). On open:
 * - no file: a first start (or data from before the markers): both markers are written, data kept;
 * - file, but the folder is missing or empty: BuildDataLostError (missing);
 * - file, folder that LevelDB cannot open: BuildDataLostError (unreadable), with LevelDB's reason;
 * - file, table without the marker or with another id: BuildDataLostError (replaced).
 * Nothing is written (no version handed out) until the user restores the folder or resets knowingly:
 * `reset` moves the folder aside to `<folder>.lost-<time>` and starts a new history.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { BuildDataLostError } from '../../core/builds/errors.ts';
import { keys } from '../dynamo/keys.ts';
import { DEFAULT_BUILD_TABLE_NAME } from '../dynamo/tableSchema.ts';
import { type LocalTable, localDynamoClient, startLocalTable } from './dynalite.ts';
import { PlatformInfoInvalidError } from './errors.ts';

// LevelDB as dynalite opens it (its own dependency), to find corruption before dynalite does.
type LevelDb = { open(): Promise<void>; close(): Promise<void> };
const requireFromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
const { Level } = requireFromDynalite('level') as { Level: new (path: string) => LevelDb };

interface DataMarker {
  readonly dataId: string;
  readonly createdAt: string;
}

/** `.vouch/build-data.json` for `.vouch/data`. */
export function markerFileOf(dataDir: string): string {
  return join(dirname(dataDir), 'build-data.json');
}

/** Opens the persisted local build table, refusing (BuildDataLostError) when its data is gone. */
export async function openPersistedTable(options: {
  readonly dataDir: string;
  readonly tableName?: string;
  /** Start over knowingly: the old folder is moved aside and a new history begins. @default false */
  readonly reset?: boolean;
}): Promise<LocalTable> {
  const { dataDir } = options;
  const markerFile = markerFileOf(dataDir);
  if (options.reset) {
    if (existsSync(dataDir))
      renameSync(dataDir, `${dataDir}.lost-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    rmSync(markerFile, { force: true });
  }
  const expected = readMarkerFile(markerFile);
  const present = existsSync(dataDir) && readdirSync(dataDir).length > 0;
  if (expected && !present) {
    throw new BuildDataLostError(
      dataDir,
      'missing',
      `the folder is ${existsSync(dataDir) ? 'empty' : 'gone'}`,
    );
  }
  if (present) await probeLevelDb(dataDir);
  let table: LocalTable;
  try {
    table = await startLocalTable({
      dataDir,
      ...(options.tableName ? { tableName: options.tableName } : {}),
    });
  } catch (error) {
    if (!expected) throw error;
    throw new BuildDataLostError(dataDir, 'unreadable', 'the build table does not open', { cause: error });
  }
  try {
    const db = DynamoDBDocumentClient.from(table.client);
    const item = (
      await db.send(
        new GetCommand({ TableName: table.tableName, Key: keys.dataMarker, ConsistentRead: true }),
      )
    ).Item as DataMarker | undefined;
    if (expected) {
      if (!item)
        throw new BuildDataLostError(dataDir, 'replaced', 'it holds no Vouch history (its marker is gone)');
      if (item.dataId !== expected.dataId) {
        throw new BuildDataLostError(
          dataDir,
          'replaced',
          `it holds the history ${item.dataId}, not ${expected.dataId} (written ${expected.createdAt})`,
        );
      }
      return table;
    }
    // A first start, or data kept from before the markers: mark it, keep it.
    const marker = item ?? { dataId: randomUUID(), createdAt: new Date().toISOString() };
    if (!item)
      await db.send(new PutCommand({ TableName: table.tableName, Item: { ...keys.dataMarker, ...marker } }));
    writeFileSync(markerFile, `${JSON.stringify({ ...marker, dataDir }, null, 2)}\n`);
    return table;
  } catch (error) {
    await table.close().catch(() => undefined);
    throw error;
  }
}

function readMarkerFile(file: string): DataMarker | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<DataMarker>;
    if (typeof parsed.dataId === 'string' && typeof parsed.createdAt === 'string')
      return { dataId: parsed.dataId, createdAt: parsed.createdAt };
  } catch {
    // reported below
  }
  throw new BuildDataLostError(
    dirname(file),
    'unreadable',
    `its marker ${file} is not what Vouch wrote (restore it with the data, or reset)`,
  );
}

/** Opens and closes the LevelDB folder: corruption surfaces here as an error, not as a crash in dynalite. */
async function probeLevelDb(dataDir: string): Promise<void> {
  const db = new Level(dataDir);
  try {
    await db.open();
  } catch (error) {
    const reason = (error as { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new BuildDataLostError(dataDir, 'unreadable', `LevelDB cannot open it (${reason})`, {
      cause: error,
    });
  } finally {
    await db.close().catch(() => undefined);
  }
}

/** Where the local platform says its table is, in `.vouch/platform.json`. */
export interface LocalPlatformInfo {
  readonly dynamoEndpoint?: string;
  readonly tableName?: string;
}

/**
 * The build table for a CLI command in `cwd`: the running local platform's table when
 * `.vouch/platform.json` names a live `dynamoEndpoint`; otherwise dynalite on `.vouch/data`
 * started here. LevelDB admits one process at a time, hence going through the platform when it runs.
 */
export async function openLocalTable(options: { cwd: string; tableName?: string }): Promise<LocalTable> {
  const vouchDir = join(options.cwd, '.vouch');
  const infoFile = join(vouchDir, 'platform.json');
  let info: LocalPlatformInfo = {};
  if (existsSync(infoFile)) {
    try {
      info = JSON.parse(readFileSync(infoFile, 'utf8')) as LocalPlatformInfo;
    } catch (error) {
      throw new PlatformInfoInvalidError(infoFile, { cause: error });
    }
  }
  const tableName = options.tableName ?? info.tableName ?? DEFAULT_BUILD_TABLE_NAME;
  if (info.dynamoEndpoint) {
    const client = localDynamoClient(info.dynamoEndpoint);
    if (await isServing(client, tableName)) {
      return {
        endpoint: info.dynamoEndpoint,
        client,
        tableName,
        close: async () => client.destroy(),
      };
    }
    client.destroy(); // a stale file from a platform that has stopped
  }
  // Started here on the platform's folder: refused, like the platform, when its data is lost.
  return openPersistedTable({ dataDir: join(vouchDir, 'data'), tableName });
}

async function isServing(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }), {
      abortSignal: AbortSignal.timeout(1500),
    });
    return true;
  } catch {
    return false;
  }
}
