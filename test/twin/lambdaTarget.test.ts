// The Lambda deploy target on the twin (issue 18): the synthesized vouch-lambda-task-* functions, with
// their roles checked by the policy simulator, drive the example's orders-fn through the Lambda fake:
// a per-run test alias with its AWS_IAM URL, qa's alias weights step by step, promote and rollback;
// requests to the aliases run examples/orders/lambda.mjs of the routed version and publish AWS/Lambda
// metrics per ExecutedVersion. The lambda-canary pipe itself is not run here (see the README).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTwin, TWIN_ROOT, type Twin } from '../../lambdas/twin/TwinPlatform.ts';
import type { SynthesizedStack } from '../../lambdas/twin/template.ts';
import { invokeTask, lambdaRun, packageOf, type TwinRun } from './support/lambdaRun.ts';
import { exampleStacks } from './support/twinFixture.ts';

let stacks: SynthesizedStack[];
let twin: Twin;
const C2 = '2'.repeat(40);
const C3 = '3'.repeat(40);

beforeAll(async () => {
  stacks = await exampleStacks();
  twin = await startTwin({
    stacks,
    commitSources: new Map([
      [C2, [`${TWIN_ROOT}examples/orders`]],
      [C3, [`${TWIN_ROOT}examples/orders`, `${TWIN_ROOT}examples/orders-faulty`]],
    ]),
  });
}, 120_000);

afterAll(async () => {
  await twin?.stop();
});

const task = (
  prefix: '' | 'lambda-',
  type: string,
  params: Record<string, unknown>,
  run: TwinRun,
  step?: number,
) => invokeTask(twin, prefix, type, params, run, step);
const runInput = (commit: string, execution: string, out: Record<string, unknown>) =>
  lambdaRun(twin, commit, execution, out);
const artifact = (commit: string) => packageOf(twin, commit);

/** Sends `n` requests to `url` and counts the x-vouch-version each answered with. */
async function versionsServed(url: string, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const res = await fetch(new URL('/orders/1', url));
    await res.arrayBuffer();
    const v = `${res.status}:${res.headers.get('x-vouch-version')}`;
    counts[v] = (counts[v] ?? 0) + 1;
  }
  return counts;
}

describe('the Lambda deploy target on the twin', () => {
  it('releases orders-fn: test alias and URL per run, qa weights up step by step and back to 0, rollback at once, nothing denied', async () => {
    // Prepare: release 2 becomes qa's baseline (a first release), release 3 (+60 ms) its canary.
    const r2 = await runInput(C2, 'twin-fn-2', { build: artifact(C2) });
    const bake2 = await task('lambda-', 'bake', {}, r2);
    const withBake2 = { ...r2, out: { ...r2.out, bake: bake2 } };
    await task('', 'lock', { environment: 'qa' }, withBake2);
    await task('lambda-', 'deploy', { environment: 'qa', slot: 'canary', weight: 0 }, withBake2);
    await task('', 'unlock', { environment: 'qa' }, withBake2);

    const r3 = await runInput(C3, 'twin-fn-3', { build: artifact(C3) });
    const bake3 = await task('lambda-', 'bake', {}, r3);
    const withBake3 = { ...r3, out: { ...r3.out, bake: bake3 } };

    // Act 1: the run's test environment: its own alias and AWS_IAM URL, deployed, then destroyed.
    const test = await task('lambda-', 'provision', { environment: 'test' }, withBake3);
    // Later tasks take the test environment from provision's result in the run's output, as the state
    // machine passes it (only provision may create one).
    const withTest3 = { ...withBake3, out: { ...withBake3.out, 'provision-test': test } };
    await task('lambda-', 'deploy', { environment: 'test', slot: 'baseline', weight: 100 }, withTest3);
    const testUrl = String(test.proxyUrl);
    const unsigned = await fetch(new URL('/orders/1', testUrl));
    // The bots task signs its requests with its role (SigV4), which may invoke the URL.
    const bots = await task('lambda-', 'bots', { environment: 'test', mode: 'functional' }, withTest3);
    const aliasesDuringRun = [...(twin.lambdaService.functions.get('orders-fn')?.aliases.keys() ?? [])];
    await task('lambda-', 'destroy', { environment: 'test' }, withTest3);

    // Act 2: qa in canary steps (20, 50) with traffic through qa's base URL, then rolled back.
    await task('', 'lock', { environment: 'qa' }, withBake3);
    const canary = await task(
      'lambda-',
      'deploy',
      { environment: 'qa', slot: 'canary', weight: 0 },
      withBake3,
    );
    await task('lambda-', 'shift', { environment: 'qa' }, withBake3, 20);
    const at20 = await versionsServed('https://orders-fn-qa.example.com', 200);
    await task('lambda-', 'shift', { environment: 'qa' }, withBake3, 50);
    const rolledBack = await task('lambda-', 'rollback', { environment: 'qa' }, withBake3);
    const afterRollback = await versionsServed('https://orders-fn-qa.example.com', 20);

    // Assess
    expect(bake2).toMatchObject({ id: 'orders-fn:2', tags: { team: 'checkout', solution: 'webshop' } });
    expect(bake3).toMatchObject({ id: 'orders-fn:3' });
    expect(testUrl).toMatch(/^https:\/\/orders-fn-test-[a-z0-9-]+\.lambda-url\.eu-west-1\.on\.aws\/$/);
    expect(aliasesDuringRun).toContain(`test-${String(test.id).split('.')[2]}`);
    // An unsigned request to an AWS_IAM URL never reaches the function; the bots' signed ones do.
    expect(unsigned.status).toBe(403);
    expect(bots).toMatchObject({ failures: 0 });
    expect(Number(bots.requests)).toBeGreaterThan(0);
    expect(twin.serviceFunctions.served.filter((s) => s.alias.startsWith('test-')).length).toBe(
      Number(bots.requests),
    );
    expect([...(twin.lambdaService.functions.get('orders-fn')?.aliases.keys() ?? [])].sort()).toEqual([
      'prod',
      'qa',
    ]);
    expect(twin.lambdaService.functions.get('orders-fn')?.urls.size).toBe(2);
    // Slots carry the build version (1, 2) and the published function version they run (2, 3).
    expect(canary).toMatchObject({
      baseline: { version: '1', image: 'orders-fn:2' },
      canary: { version: '2', image: 'orders-fn:3' },
    });
    // About 20 % of qa's requests ran version 3, the rest version 2; after rollback only version 2.
    expect(Object.keys(at20).sort()).toEqual(['200:2', '200:3']);
    expect(at20['200:3']).toBeGreaterThan(15);
    expect(at20['200:3']).toBeLessThan(70);
    expect(rolledBack).toMatchObject({ weight: 0, baseline: { version: '1', image: 'orders-fn:2' } });
    expect(rolledBack.canary ?? null).toBeNull();
    expect(afterRollback).toEqual({ '200:2': 20 });
    // The weights the Lambda fake saw on qa: the baseline, then 0, 20, 50 and back to 0.
    expect(
      twin.lambdaService.routingHistory
        .filter((c) => c.function === 'orders-fn' && c.alias === 'qa')
        .map((c) => [c.version, c.canaryWeight]),
    ).toEqual([
      ['2', 0],
      ['2', 0],
      ['2', 20],
      ['2', 50],
      ['2', 0],
    ]);
    // The function's own metrics per executed version behind qa: what the judge reads.
    const invocations = (version: string) =>
      twin.cloudWatch.data
        .filter(
          (d) =>
            d.namespace === 'AWS/Lambda' &&
            d.name === 'Invocations' &&
            d.dimensions === `ExecutedVersion=${version},FunctionName=orders-fn,Resource=orders-fn:qa`,
        )
        .reduce((sum, d) => sum + d.value, 0);
    expect(invocations('3')).toBe(at20['200:3']);
    // Release 3 is the orders-faulty overlay: its Duration is 60 ms above version 2's.
    const medianDuration = (version: string) => {
      const values = twin.cloudWatch.data
        .filter((d) => d.name === 'Duration' && d.dimensions.startsWith(`ExecutedVersion=${version},`))
        .map((d) => d.value)
        .sort((a, b) => a - b);
      return values[Math.floor(values.length / 2)] ?? Number.NaN;
    };
    expect(medianDuration('3') - medianDuration('2')).toBeGreaterThan(50);
    expect(invocations('2')).toBe(200 - (at20['200:3'] ?? 0) + 20);
    expect(twin.serviceFunctions.served.filter((s) => s.alias === 'qa' && s.version === '3').length).toBe(
      at20['200:3'],
    );
    expect(twin.sdk.calls.filter((c) => c.outcome.includes('AccessDenied'))).toEqual([]);
    expect(twin.sdk.calls.some((c) => c.service === 'lambda' && c.command === 'UpdateAlias')).toBe(true);
  }, 180_000);
});
