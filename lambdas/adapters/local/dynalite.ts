/**
 * The build table on one machine: dynalite (a DynamoDB server on LevelDB) started in-process on
 * loopback, so the same BuildRepository code that talks to DynamoDB talks to it. With `dataDir` it
 * persists to LevelDB (restarting keeps history); without, it is in memory (tests, benchmarks).
 */
import { mkdirSync } from 'node:fs';
import { Agent, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createBuildTable, DEFAULT_BUILD_TABLE_NAME } from '../dynamo/tableSchema.ts';
import { LocalTableStartError } from './errors.ts';

// dynalite is CommonJS without type declarations: this is the slice of its API used here.
type DynaliteFactory = (options: {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => Server;
const dynalite = createRequire(import.meta.url)('dynalite') as DynaliteFactory;

export interface LocalTable {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Stops the client and, when this process started dynalite, the server (flushing LevelDB). */
  close(): Promise<void>;
}

export interface LocalTableOptions {
  /** LevelDB folder; omit for an in-memory table. */
  readonly dataDir?: string;
  /** @default 'vouch-builds' */
  readonly tableName?: string;
  /** @default 0 (any free port) */
  readonly port?: number;
}

/**
 * A client for a local endpoint only: dummy static credentials and region `local`, so no request can
 * be signed for, or sent to, AWS.
 */
export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    // Loopback sockets are cheap; the default 50 would queue a burst of pipeline requests.
    requestHandler: {
      httpAgent: new Agent({ keepAlive: true, maxSockets: 256 }),
      // Queueing behind those sockets is expected in bursts on one machine, not worth a warning.
      socketAcquisitionWarningTimeout: 60_000,
    },
  });
}

export async function startLocalTable(options: LocalTableOptions = {}): Promise<LocalTable> {
  const tableName = options.tableName ?? DEFAULT_BUILD_TABLE_NAME;
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  // Table state changes are instant: nothing waits 500 ms for CREATING -> ACTIVE on one machine.
  const server = dynalite({
    ...(options.dataDir ? { path: options.dataDir } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localDynamoClient(endpoint);
  const close = async () => {
    client.destroy();
    await new Promise<void>((resolve, reject) =>
      server.close((error) => (error ? reject(error) : resolve())),
    );
  };
  try {
    await createBuildTable(client, tableName);
  } catch (error) {
    await close().catch(() => undefined);
    const where = options.dataDir ? ` on ${options.dataDir} (is another Vouch process using it?)` : '';
    throw new LocalTableStartError(`Could not start the local build table${where}`, { cause: error });
  }
  return { endpoint, client, tableName, close };
}
