import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { localSource } from '../../../lambdas/adapters/dashboard/localSource.ts';
import { type DashboardServer, startDashboardServer } from '../../../lambdas/adapters/dashboard/server.ts';
import { BuildRepository } from '../../../lambdas/adapters/dynamo/buildRepository.ts';
import { type LocalTable, startLocalTable } from '../../../lambdas/adapters/local/dynalite.ts';
import { seedStory } from './fixtures.ts';

/**
 * Every read the dashboard page makes is one request to the table, a Query (or a GetItem by key),
 * never a Scan and never paging through history: counted on the DynamoDB client itself.
 */
describe('the dashboard reads the build table one request per page read', () => {
  let table: LocalTable;
  let server: DashboardServer;
  let stateDir: string;
  const commands: string[] = [];

  beforeAll(async () => {
    table = await startLocalTable();
    // 45 builds: more than one page of history (20), so paging through it would show up as requests.
    await seedStory(new BuildRepository({ client: table.client, tableName: table.tableName }), 'orders', 45);
    table.client.middlewareStack.add(
      (next, context) => async (args) => {
        commands.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'countCommands' },
    );
    stateDir = mkdtempSync(join(tmpdir(), 'vouch-dashboard-reads-'));
    server = await startDashboardServer(localSource({ table, stateDir }));
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await table?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    commands.length = 0;
  });

  const get = async (path: string) => {
    const response = await fetch(new URL(path, server.url));
    return { status: response.status, body: (await response.json()) as unknown };
  };

  it.each([
    ['services', 'api/dashboard/services', 'QueryCommand'],
    ['version per environment', 'api/dashboard/services/orders/where', 'QueryCommand'],
    ['latest executions', 'api/dashboard/services/orders/builds', 'QueryCommand'],
    ['one execution with its pipe shape', 'api/dashboard/services/orders/builds/45', 'GetItemCommand'],
    ['its timeline', 'api/dashboard/services/orders/builds/45/events', 'QueryCommand'],
    ['the open window of an environment', 'api/dashboard/services/orders/windows/qa', 'GetItemCommand'],
  ])('%s: GET /%s reads the table once, with %s', async (_what, path, command) => {
    const { status } = await get(path);
    expect(status).toBe(200);
    expect(commands).toEqual([command]);
  });

  it('reads what was stored: the newest page of history, the rollback, the pipe shape', async () => {
    const builds = (await get('api/dashboard/services/orders/builds')).body as {
      version: number;
      status: string;
    }[];
    expect(builds).toHaveLength(20);
    expect(builds[0]).toMatchObject({ version: 45, status: 'FAILED' });
    const where = (await get('api/dashboard/services/orders/where')).body as Record<
      string,
      { version: number }
    >;
    expect(where.qa?.version).toBe(44);
    const build = (await get('api/dashboard/services/orders/builds/45')).body as {
      pipeShape: { shape: { stages: { stage: string }[] } };
    };
    expect(build.pipeShape.shape.stages.map((s) => s.stage)).toEqual([
      'start',
      'bake',
      'test-environment',
      'tests',
      'verify-test',
      'release',
      'cleanup',
      'finish',
    ]);
    const events = (await get('api/dashboard/services/orders/builds/45/events')).body as { label?: string }[];
    expect(events.flatMap((e) => (e.label ? [e.label] : []))).toEqual(['PASSED_TEST', 'ROLLED_BACK:qa']);
  });

  it('refuses bad names and unknown builds without reading more', async () => {
    expect((await get('api/dashboard/services/Or%23ders/builds')).status).toBe(400);
    expect((await get('api/dashboard/services/orders/builds/0')).status).toBe(400);
    expect((await get('api/dashboard/services/orders/builds/99')).status).toBe(404);
    expect(commands).toEqual(['GetItemCommand']);
    expect((await get('api/dashboard/nothing')).status).toBe(404);
  });

  it('has no control path without a running platform: the buttons are refused, nothing is read', async () => {
    const response = await fetch(new URL('api/promote', server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'orders' }),
    });
    expect(response.status).toBe(404);
    expect(((await get('api/dashboard/services')).body as { control: unknown }).control).toBeNull();
  });
});
