/**
 * Runs of a Lambda service interrupted at several points, then one sweep: every leftover of the ended
 * runs goes, a running run's alias stays, and of the published versions the serving ones and the
 * newest three stay. The Lambda target and the sweeper both talk to the twin's stateful Lambda fake.
 */
import {
  CreateAliasCommand,
  CreateFunctionUrlConfigCommand,
  DeleteAliasCommand,
  DeleteFunctionCommand,
  DeleteFunctionUrlConfigCommand,
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  GetFunctionUrlConfigCommand,
  LambdaClient,
  ListAliasesCommand,
  ListVersionsByFunctionCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it } from 'vitest';
import { LambdaDeployTarget } from '../../../lambdas/adapters/aws/lambdaTarget/LambdaDeployTarget.ts';
import {
  lambdaSweepInventory,
  lambdaSweepRemover,
} from '../../../lambdas/adapters/aws/sweeper/lambdaSweep.ts';
import { type SweepReport, sweep } from '../../../lambdas/core/sweeper/sweep.ts';
import { TwinLambdaService } from '../../../lambdas/twin/fakes/lambdaService.ts';

const COMMANDS = {
  CreateAlias: CreateAliasCommand,
  CreateFunctionUrlConfig: CreateFunctionUrlConfigCommand,
  DeleteAlias: DeleteAliasCommand,
  DeleteFunction: DeleteFunctionCommand,
  DeleteFunctionUrlConfig: DeleteFunctionUrlConfigCommand,
  GetAlias: GetAliasCommand,
  GetFunctionConfiguration: GetFunctionConfigurationCommand,
  GetFunctionUrlConfig: GetFunctionUrlConfigCommand,
  ListAliases: ListAliasesCommand,
  ListVersionsByFunction: ListVersionsByFunctionCommand,
  UpdateAlias: UpdateAliasCommand,
  UpdateFunctionCode: UpdateFunctionCodeCommand,
};
const TAGS = { service: 'orders', team: 'checkout', solution: 'shop' };
const lambdaMock = mockClient(LambdaClient);
afterAll(() => lambdaMock.restore());

describe('the sweeper on Lambda services', () => {
  it('removes what interrupted runs left, keeps a running run and the versions rollback needs', async () => {
    let now = Date.parse('2026-12-02T08:00:00Z');
    const minutes = (m: number) => {
      now += m * 60_000;
    };
    const service = new TwinLambdaService({ now: () => now, readPackage: (_b, key) => Buffer.from(key) });
    service.createFunction('orders-fn', ['qa', 'prod']);
    const fake = service.fake();
    for (const [name, command] of Object.entries(COMMANDS)) {
      lambdaMock
        .on(command as typeof GetAliasCommand)
        .callsFake((input) => fake.handle(name, input, { command: {}, client: {} }));
    }
    const lambda = new LambdaClient({ region: 'eu-west-1' });
    const target = new LambdaDeployTarget({
      lambda,
      config: { services: { orders: { functionName: 'orders-fn', team: 'checkout', solution: 'shop' } } },
      sleep: async () => {},
      now: () => new Date(now),
    });
    const bake = async (release: number) => {
      minutes(10);
      return target.bake({
        service: 'orders',
        source: `s3://vouch-artifacts/orders/r${release}.zip`,
        run: { command: 'handler' },
        tags: TAGS,
      });
    };
    const provisionTest = (runKey: string) =>
      target.provision('orders', 'test', { ephemeral: true, runKey, tags: TAGS });

    // Releases 1-5 went through qa and prod earlier: versions 2-6, prod and qa on 6.
    const qa = await target.provision('orders', 'qa', { ephemeral: false, tags: TAGS });
    const prod = await target.provision('orders', 'prod', { ephemeral: false, tags: TAGS });
    for (let r = 1; r <= 5; r++) {
      const image = await bake(r);
      await target.deploy(image, qa, { slot: 'baseline', version: r });
      await target.deploy(image, prod, { slot: 'baseline', version: r });
    }
    // Run A crashed after deploying its test environment; run B right after provisioning it.
    const a = await bake(6);
    await target.deploy(a, await provisionTest('run-a'), { slot: 'baseline', version: 6 });
    await bake(7);
    await provisionTest('run-b');
    // Run C is running: a canary in qa and its own test environment.
    const c = await bake(8);
    await target.deploy(c, await provisionTest('run-c'), { slot: 'baseline', version: 8 });
    await target.deploy(c, qa, { slot: 'canary', weight: 20, version: 8 });
    minutes(30);

    const records: SweepReport[] = [];
    const ports = {
      inventory: lambdaSweepInventory(lambda, [
        { service: 'orders', functionName: 'orders-fn', ephemeralEnvironments: ['test'] },
      ]),
      running: async () => ({ runKeys: new Set(['run-c']), bakedImages: new Set([c.id]) }),
      remove: lambdaSweepRemover(lambda),
      record: async (report: SweepReport) => {
        records.push(report);
      },
      now: () => new Date(now),
    };
    const report = await sweep(ports, { keepImages: 3 });

    const fn = service.functions.get('orders-fn');
    expect([...(fn?.aliases.keys() ?? [])].sort()).toEqual(['prod', 'qa', 'test-run-c']);
    expect([...(fn?.urls.keys() ?? [])].sort()).toEqual(['prod', 'qa', 'test-run-c']);
    // 1 (the stack's) to 9 published; 6 serves qa and prod, 9 is run C's canary; 8, 7, 5 are the newest three others.
    expect([...(fn?.versions.keys() ?? [])].map(Number).sort((x, y) => x - y)).toEqual([5, 6, 7, 8, 9]);
    expect(report.failed).toEqual([]);
    expect(records).toHaveLength(1);
    expect(report.removed.map((d) => `${d.resource.id}: ${d.reason}`).sort()).toEqual([
      'orders-fn:1: older than the 3 newest images of orders',
      'orders-fn:2: older than the 3 newest images of orders',
      'orders-fn:3: older than the 3 newest images of orders',
      'orders-fn:4: older than the 3 newest images of orders',
      'orders-fn:test-run-a: its run run-a ended',
      'orders-fn:test-run-b: its run run-b ended',
    ]);
    // The running canary still serves as it did.
    expect(await target.describe(qa)).toMatchObject({
      weight: 20,
      canary: { version: '8' },
      baseline: { version: '5' },
    });

    // Nothing left to remove: the next sweep records nothing.
    const again = await sweep(ports, { keepImages: 3 });
    expect(again.removed).toEqual([]);
    expect(records).toHaveLength(1);
  });
});
