// Least privilege of the Lambda target on the twin: without lambda:UpdateAlias the deploy function is
// AccessDenied naming the action and the function; without lambda:InvokeFunctionUrl the bots task's
// signed requests to the test alias's AWS_IAM URL get 403 and the function never runs.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTwin, TWIN_ROOT, type Twin } from '../../lambdas/twin/TwinPlatform.ts';
import type { SynthesizedStack } from '../../lambdas/twin/template.ts';
import { invokeTask, lambdaRun, packageOf } from './support/lambdaRun.ts';
import { exampleStacks, withoutGrant } from './support/twinFixture.ts';

const COMMIT = '5'.repeat(40);
let stacks: SynthesizedStack[];
let twin: Twin | undefined;

beforeAll(async () => {
  stacks = await exampleStacks();
}, 120_000);

afterEach(async () => {
  await twin?.stop();
  twin = undefined;
});

async function twinFrom(from: SynthesizedStack[]): Promise<Twin> {
  twin = await startTwin({
    stacks: from,
    commitSources: new Map([[COMMIT, [`${TWIN_ROOT}examples/orders`]]]),
  });
  return twin;
}

describe('the Lambda target’s grants on the twin', () => {
  it('deploy without lambda:UpdateAlias is AccessDenied naming the action and the function', async () => {
    // Prepare
    const t = await twinFrom(withoutGrant(stacks, 'LambdaTaskDeployRoleDefaultPolicy', 'lambda:UpdateAlias'));
    const run = await lambdaRun(t, COMMIT, 'twin-grant-1', { build: packageOf(t, COMMIT) });
    const bake = await invokeTask(t, 'lambda-', 'bake', {}, run);
    const baked = { ...run, out: { ...run.out, bake } };
    await invokeTask(t, '', 'lock', { environment: 'qa' }, baked);

    // Act
    const deployed = invokeTask(
      t,
      'lambda-',
      'deploy',
      { environment: 'qa', slot: 'canary', weight: 0 },
      baked,
    );

    // Assess
    await expect(deployed).rejects.toThrow(
      'is not authorized to perform: lambda:UpdateAlias on resource: arn:aws:lambda:eu-west-1:123456789012:function:orders-fn',
    );
    expect(t.lambdaService.routingHistory.filter((c) => c.alias === 'qa')).toEqual([]);
  }, 120_000);

  it('the bots task without lambda:InvokeFunctionUrl gets 403 from the test alias, which never runs', async () => {
    // Prepare
    const t = await twinFrom(
      withoutGrant(stacks, 'LambdaTaskBotsRoleDefaultPolicy', 'lambda:InvokeFunctionUrl'),
    );
    const run = await lambdaRun(t, COMMIT, 'twin-grant-2', { build: packageOf(t, COMMIT) });
    const bake = await invokeTask(t, 'lambda-', 'bake', {}, run);
    const baked = { ...run, out: { ...run.out, bake } };
    const test = await invokeTask(t, 'lambda-', 'provision', { environment: 'test' }, baked);
    // Later tasks take the test environment from provision's result, as the state machine passes it.
    const provisioned = { ...baked, out: { ...baked.out, 'provision-test': test } };
    await invokeTask(
      t,
      'lambda-',
      'deploy',
      { environment: 'test', slot: 'baseline', weight: 100 },
      provisioned,
    );

    // Act
    const bots = invokeTask(t, 'lambda-', 'bots', { environment: 'test', mode: 'functional' }, provisioned);

    // Assess
    await expect(bots).rejects.toThrow(/bot requests failed/);
    expect(t.serviceFunctions.served).toEqual([]);
    await invokeTask(t, 'lambda-', 'destroy', { environment: 'test' }, provisioned);
  }, 120_000);
});
