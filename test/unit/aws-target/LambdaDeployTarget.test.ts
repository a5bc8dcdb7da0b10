/**
 * The Lambda deploy target against a stateful Lambda fake (the twin's, lambdas/twin/fakes/
 * lambdaService.ts) behind aws-sdk-client-mock: every SDK call the target makes is answered the way
 * Lambda's API reference says, so a release's alias weights can be read back step by step.
 */
import {
  CreateAliasCommand,
  CreateFunctionUrlConfigCommand,
  DeleteAliasCommand,
  DeleteFunctionUrlConfigCommand,
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  GetFunctionUrlConfigCommand,
  LambdaClient,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  FunctionUpdateConflictError,
  InvalidLambdaArtifactError,
  LambdaTargetConfigError,
} from '../../../lambdas/adapters/aws/lambdaTarget/errors.ts';
import { LambdaDeployTarget } from '../../../lambdas/adapters/aws/lambdaTarget/LambdaDeployTarget.ts';
import {
  EnvironmentNotFoundError,
  NoBaselineError,
  NoCanaryError,
} from '../../../lambdas/core/target/errors.ts';
import { TwinLambdaService } from '../../../lambdas/twin/fakes/lambdaService.ts';

const TAGS = { service: 'orders', team: 'checkout', solution: 'shop' };
const RUN = { command: 'handler', healthPath: '/health' };
const COMMANDS = {
  CreateAlias: CreateAliasCommand,
  CreateFunctionUrlConfig: CreateFunctionUrlConfigCommand,
  DeleteAlias: DeleteAliasCommand,
  DeleteFunctionUrlConfig: DeleteFunctionUrlConfigCommand,
  GetAlias: GetAliasCommand,
  GetFunctionConfiguration: GetFunctionConfigurationCommand,
  GetFunctionUrlConfig: GetFunctionUrlConfigCommand,
  UpdateAlias: UpdateAliasCommand,
  UpdateFunctionCode: UpdateFunctionCodeCommand,
};

const lambdaMock = mockClient(LambdaClient);
let service: TwinLambdaService;
let now: number;
let packages: Map<string, string>;

function target(overrides: Partial<ConstructorParameters<typeof LambdaDeployTarget>[0]> = {}) {
  return new LambdaDeployTarget({
    lambda: new LambdaClient({ region: 'eu-west-1' }),
    config: { services: { orders: { functionName: 'orders-fn', team: 'checkout', solution: 'webshop' } } },
    sleep: async (ms) => {
      now += ms;
    },
    now: () => new Date(now),
    ...overrides,
  });
}

function ordersFn() {
  const fn = service.functions.get('orders-fn');
  if (!fn) throw new Error('the fake lost orders-fn');
  return fn;
}

function alias(name: string) {
  const a = ordersFn().aliases.get(name);
  if (!a) throw new Error(`the fake has no alias ${name}`);
  return a;
}

const bake = (t: LambdaDeployTarget, commit: string) =>
  t.bake({ service: 'orders', source: `s3://vouch-artifacts/orders/${commit}.zip`, run: RUN, tags: TAGS });

beforeEach(() => {
  now = Date.parse('2026-12-02T03:00:00Z');
  packages = new Map([
    ['orders/aaa.zip', 'release 2'],
    ['orders/bbb.zip', 'release 3 (+60 ms)'],
    ['orders/ccc.zip', 'release 2'],
  ]);
  service = new TwinLambdaService({
    now: () => now,
    readPackage: (_bucket, key) => (packages.has(key) ? Buffer.from(packages.get(key) ?? '') : undefined),
  });
  service.createFunction('orders-fn', ['qa', 'prod']);
  const fake = service.fake();
  lambdaMock.reset();
  for (const [name, command] of Object.entries(COMMANDS)) {
    lambdaMock
      .on(command as typeof GetAliasCommand)
      .callsFake((input) => fake.handle(name, input, { command: {}, client: {} }));
  }
});
afterEach(() => lambdaMock.reset());

describe('LambdaDeployTarget', () => {
  it('bakes an S3 zip into a published version; the same code bakes to the same version', async () => {
    const t = target();
    const first = await bake(t, 'aaa');
    expect(first.id).toBe('orders-fn:2');
    expect(first.location).toMatch(/:function:orders-fn:2$/);
    expect((await bake(t, 'ccc')).id).toBe('orders-fn:2'); // same bytes, other commit
    expect((await bake(t, 'bbb')).id).toBe('orders-fn:3');
    expect(
      t
        .resources()
        .filter((r) => r.kind === 'image')
        .map((r) => r.tags),
    ).toEqual([TAGS, TAGS]);
  });

  it('refuses what Lambda cannot take, and an unknown service, before any call', async () => {
    const t = target();
    await expect(
      t.bake({ service: 'orders', source: 's3://vouch-artifacts/orders/aaa.tar.gz', run: RUN, tags: TAGS }),
    ).rejects.toBeInstanceOf(InvalidLambdaArtifactError);
    await expect(
      t.bake({ service: 'payments', source: 's3://vouch-artifacts/payments/k.zip', run: RUN, tags: TAGS }),
    ).rejects.toThrow(LambdaTargetConfigError);
    expect(lambdaMock.calls()).toHaveLength(0);
  });

  it('waits out another update of the function, then names the conflict when it lasts', async () => {
    ordersFn().busyUntil = now + 12_000;
    const t = target({ conflictBudget: { delayMs: 5_000, maxAttempts: 5 } });
    expect((await bake(t, 'aaa')).id).toBe('orders-fn:2');
    expect(lambdaMock.commandCalls(UpdateFunctionCodeCommand)).toHaveLength(4); // at 0, 5, 10 and 15 s

    ordersFn().busyUntil = now + 60_000;
    await expect(bake(t, 'bbb')).rejects.toBeInstanceOf(FunctionUpdateConflictError);
  });

  it('releases to qa in canary steps: the alias weights go up step by step, then promote moves the alias', async () => {
    const t = target();
    const v2 = await bake(t, 'aaa');
    const qa = await t.provision('orders', 'qa', { ephemeral: false, tags: TAGS });
    expect(qa.proxyUrl).toBe('https://orders-fn-qa.lambda-url.eu-west-1.on.aws/');
    await t.deploy(v2, qa, { slot: 'baseline', version: 2 });
    const v3 = await bake(t, 'bbb');
    const at20 = await t.deploy(v3, qa, { slot: 'canary', weight: 20, version: 3 });
    expect(at20).toMatchObject({
      weight: 20,
      baseline: { version: '2' },
      canary: { version: '3', image: v3.id },
    });
    await t.shiftWeight(qa, 50);
    await t.shiftWeight(qa, 100);
    const promoted = await t.promote(qa);
    expect(promoted).toMatchObject({ weight: 0, baseline: { version: '3', image: 'orders-fn:3' } });
    expect(promoted.canary).toBeUndefined();
    expect(
      service.routingHistory.filter((c) => c.alias === 'qa').map((c) => [c.version, c.canaryWeight]),
    ).toEqual([
      ['2', 0],
      ['2', 20],
      ['2', 50],
      ['2', 100],
      ['3', 0],
    ]);
    // What the alias serves is what describe says, from AWS alone: a new target instance agrees.
    expect(await target().describe(qa)).toMatchObject({ baseline: { version: '3' }, weight: 0 });
  });

  it('rolls a canary back at once: the additional version is gone, the baseline untouched', async () => {
    const t = target();
    const qa = await t.provision('orders', 'qa', { ephemeral: false, tags: TAGS });
    await t.deploy(await bake(t, 'aaa'), qa, { slot: 'baseline', version: 2 });
    await t.deploy(await bake(t, 'bbb'), qa, { slot: 'canary', weight: 20, version: 3 });
    const rolledBack = await t.rollback(qa);
    expect(rolledBack).toMatchObject({ weight: 0, baseline: { version: '2', image: 'orders-fn:2' } });
    expect(rolledBack.canary).toBeUndefined();
    expect(service.route('orders-fn', 'qa', 0)).toBe('2');
    expect(service.routingHistory.at(-1)).toMatchObject({ alias: 'qa', version: '2', canaryWeight: 0 });
    await expect(t.shiftWeight(qa, 50)).rejects.toBeInstanceOf(NoCanaryError);
  });

  it('gives each run its own test alias and URL, and destroy removes both (twice is fine)', async () => {
    const t = target();
    const image = await bake(t, 'aaa');
    const test = await t.provision('orders', 'test', { ephemeral: true, runKey: 'run-1', tags: TAGS });
    expect(test.id).toBe('orders.test.run-1');
    expect(test.proxyUrl).toBe('https://orders-fn-test-run-1.lambda-url.eu-west-1.on.aws/');
    // A retried provision finds the same alias and URL.
    expect(
      (await t.provision('orders', 'test', { ephemeral: true, runKey: 'run-1', tags: TAGS })).proxyUrl,
    ).toBe(test.proxyUrl);
    await t.deploy(image, test, { slot: 'baseline', version: 2 });
    expect(service.route('orders-fn', 'test-run-1')).toBe('2');
    await t.destroy(test);
    await t.destroy(test);
    const fn = ordersFn();
    expect([...fn.aliases.keys()]).toEqual(['qa', 'prod']);
    expect([...fn.urls.keys()]).toEqual(['qa', 'prod']);
    await expect(t.describe(test)).rejects.toBeInstanceOf(EnvironmentNotFoundError);
    expect(t.resources().find((r) => r.id === test.id)?.endedAt).toBeDefined();
  });

  it("describes a test environment another task provisioned with the service's tags and the alias's creation time", async () => {
    // Prepare: provision in one "container", describe in another (each task is its own Lambda).
    const test = await target().provision('orders', 'test', { ephemeral: true, runKey: 'run-2', tags: TAGS });
    now += 60_000;

    // Act
    const described = await target().describe(test);

    // Assess: never an empty team or solution, and the time provision created the alias.
    expect(described.environment.tags).toEqual({ service: 'orders', team: 'checkout', solution: 'webshop' });
    expect(described.environment.createdAt).toBe(test.createdAt);
  });

  it('refuses a canary before a baseline, a missing lasting alias and an alias description edited by hand', async () => {
    const t = target();
    const qa = await t.provision('orders', 'qa', { ephemeral: false, tags: TAGS });
    await expect(
      t.deploy(await bake(t, 'aaa'), qa, { slot: 'canary', weight: 20, version: 2 }),
    ).rejects.toBeInstanceOf(NoBaselineError);
    await expect(t.provision('orders', 'staging', { ephemeral: false, tags: TAGS })).rejects.toBeInstanceOf(
      EnvironmentNotFoundError,
    );
    alias('qa').description = 'vouch:{"baseline":7}';
    await expect(t.describe(qa)).rejects.toThrow(/description Vouch cannot read/);
  });
});
