import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { dynamoCostLedger } from '../../../lambdas/adapters/aws/cost/dynamoCostLedger.ts';
import { BuildRepository } from '../../../lambdas/adapters/dynamo/buildRepository.ts';
import { type LocalTable, startLocalTable } from '../../../lambdas/adapters/local/dynalite.ts';
import { main } from '../../../scripts/vouch.ts';

/**
 * `vouch status --aws` and `vouch cost --aws` against a build table on dynalite, reached as the
 * deployed one is: the standard SDK client, credentials and endpoint from the usual environment
 * (AWS_ENDPOINT_URL_DYNAMODB points the SDK at dynalite), the table named by VOUCH_BUILD_TABLE.
 */
const CONTROL_URL = 'https://abcdefghij.lambda-url.eu-west-1.on.aws/';
const commit = (c: string) => c.repeat(40);

describe('status and cost --aws on the deployed build table', () => {
  let table: LocalTable;
  let ctx: { cwd: string; env: Record<string, string>; out: (l: string) => void; err: (l: string) => void };
  let out: string[];
  let err: string[];
  /** Every command the CLI sent to the table, by name (a spy: the calls still reach dynalite). */
  let sent: string[];

  beforeAll(async () => {
    table = await startLocalTable();
    const repo = new BuildRepository({ client: table.client, tableName: table.tableName });
    await repo.registerService({ service: 'orders', team: 'checkout', solution: 'webshop', repo: 'r' });
    await repo.registerService({ service: 'catalog', team: 'checkout', solution: 'webshop', repo: 'r' });
    const v1 = await repo.allocateVersion({ service: 'orders', commit: commit('a'), execution: 'gh-1' });
    await repo.recordRunStarted({
      service: 'orders',
      version: v1.version,
      commit: commit('a'),
      execution: 'gh-1',
      pipeShape: {},
    });
    await repo.recordPromotion({
      service: 'orders',
      version: v1.version,
      environment: 'qa',
      kind: 'PROMOTED',
      evidence: {},
    });
    await repo.recordPromotion({
      service: 'orders',
      version: v1.version,
      environment: 'prod',
      kind: 'PROMOTED',
      evidence: {},
    });
    await repo.recordRunFinished({
      service: 'orders',
      version: v1.version,
      execution: 'gh-1',
      outcome: 'SUCCEEDED',
    });
    const v2 = await repo.allocateVersion({ service: 'orders', commit: commit('b'), execution: 'gh-2' });
    await repo.recordRunStarted({
      service: 'orders',
      version: v2.version,
      commit: commit('b'),
      execution: 'gh-2',
      pipeShape: {},
    });
    // What the daily collector recorded (its own writer): two days of orders, one of catalog, another team.
    const ledger = dynamoCostLedger(DynamoDBDocumentClient.from(table.client), {
      tableName: table.tableName,
    });
    const item = (day: string, team: string, service: string, environment: string, amount: number) => ({
      kind: 'service' as const,
      day,
      team,
      service,
      environment,
      amount,
      unit: 'USD',
      estimated: day === '2030-01-10',
    });
    await ledger.record([
      item('2030-01-09', 'checkout', 'orders', 'prod', 4.5),
      item('2030-01-10', 'checkout', 'orders', 'prod', 5.25),
      item('2030-01-10', 'checkout', 'catalog', 'prod', 1),
      item('2030-01-10', 'payments', 'billing', 'prod', 99),
      // Outside the last 7 days of 2030-01-10.
      item('2030-01-01', 'checkout', 'orders', 'prod', 1000),
    ]);
  }, 60_000);

  afterAll(async () => {
    await table?.close();
  });

  function prepare() {
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', table.endpoint);
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
    out = [];
    err = [];
    sent = [];
    ctx = {
      cwd: process.cwd(),
      env: { VOUCH_BUILD_TABLE: table.tableName, VOUCH_CONTROL_URL: CONTROL_URL },
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    };
    const send = DynamoDBDocumentClient.prototype.send;
    vi.spyOn(DynamoDBDocumentClient.prototype, 'send').mockImplementation(function (
      this: DynamoDBDocumentClient,
      ...args: Parameters<typeof send>
    ) {
      sent.push((args[0] as object).constructor.name);
      return send.apply(this, args as never);
    } as typeof send);
  }

  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it('vouch status --aws: what runs where and the run in progress, one Query per read', async () => {
    prepare();

    // Act
    const code = await main(['status', '--aws'], ctx);

    // Assess: the services index, then per service its environments and a page of its builds.
    expect(code).toBe(0);
    expect(out).toEqual([
      'catalog: not released yet',
      'orders: prod v1, qa v1',
      expect.stringMatching(/^ {2}run gh-2: v2 RUNNING since 20\d\d-/),
    ]);
    expect(sent).toEqual(['QueryCommand', 'QueryCommand', 'QueryCommand', 'QueryCommand', 'QueryCommand']);
  });

  it('vouch status orders --aws: two Queries; an unknown service exits 2 naming it', async () => {
    prepare();
    expect(await main(['status', 'orders', '--aws', '--json'], ctx)).toBe(0);
    expect(JSON.parse(out.join('\n'))).toMatchObject({
      services: [
        { service: 'orders', where: { qa: { version: 1 } }, running: [{ version: 2, execution: 'gh-2' }] },
      ],
    });
    expect(sent).toEqual(['QueryCommand', 'QueryCommand']);

    expect(await main(['status', 'nosuch', '--aws'], ctx)).toBe(2);
    expect(err.join('\n')).toContain('unknown service "nosuch"');
  });

  it("vouch cost --aws --team: the collector's records of the team, summed per service and environment, one Query", async () => {
    prepare();
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2030-01-10T12:00:00Z') });
    try {
      // Act
      const code = await main(['cost', '--aws', '--team', 'checkout', '--days', '7'], ctx);

      // Assess
      expect(code).toBe(0);
      expect(out[0]).toBe('COST EXPLORER (recorded by the daily cost collector), 2030-01-04 to 2030-01-10');
      expect(out.slice(1)).toEqual([
        expect.stringMatching(/^TEAM\s+SERVICE\s+ENVIRONMENT\s+COST$/),
        expect.stringMatching(/^-+/),
        expect.stringMatching(/^checkout\s+orders\s+prod\s+9\.75 USD$/),
        expect.stringMatching(/^checkout\s+catalog\s+prod\s+1\.00 USD$/),
        expect.stringMatching(/^total\s+10\.75 USD$/),
        'estimated by Cost Explorer, may still change: 2030-01-10',
      ]);
      expect(sent).toEqual(['QueryCommand']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('vouch cost --aws: --team is required, and --journal is the local platform’s', async () => {
    prepare();
    expect(await main(['cost', '--aws'], ctx)).toBe(2);
    expect(err.at(-1)).toMatch(/--team T is required/);
    expect(await main(['cost', '--aws', '--team', 'checkout', '--journal', 'x.jsonl'], ctx)).toBe(2);
    expect(sent).toEqual([]);
  });
});
