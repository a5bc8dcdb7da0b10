// The synthesized templates run on the twin: the ec2-canary state machine's first states, its
// Lambdas with their template environment, and the IAM check of every call against the role.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { InvocationRecord } from '../../lambdas/twin/lambdaRunner.ts';
import { startTwin, type Twin } from '../../lambdas/twin/TwinPlatform.ts';
import type { SynthesizedStack } from '../../lambdas/twin/template.ts';
import { exampleStacks, ORDERS, ordersRunInput, until, withoutGrant } from './support/twinFixture.ts';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';
let stacks: SynthesizedStack[];
let twin: Twin | undefined;

beforeAll(async () => {
  stacks = await exampleStacks();
}, 120_000);

afterEach(async () => {
  await twin?.stop();
  twin = undefined;
});

async function startOrders(from: readonly SynthesizedStack[], execution: string) {
  const invocations: InvocationRecord[] = [];
  twin = await startTwin({ stacks: from, onInvocation: (r) => invocations.push(r) });
  await twin.registerServices([ORDERS]);
  const machine = twin.stepFunctions.machine('vouch-ec2-canary');
  const run = twin.stepFunctions.start(machine.arn, execution, ordersRunInput(COMMIT, execution));
  return { twin, run, invocations };
}

describe('the ec2-canary state machine on the twin', () => {
  it('allocates the version through the version Lambda and hands the build Lambda its own task token', async () => {
    // Prepare
    const { twin, run, invocations } = await startOrders(stacks, 'twin-start-1');
    const build = twin.lambdas.byEntry('lambdas/handlers/tasks/build.ts');

    // Act
    await until(() => invocations.some((r) => r.function === build.logicalId), 20_000, 'the build Lambda');

    // Assess
    expect(invocations[0]).toMatchObject({
      function: twin.lambdas.byEntry('lambdas/handlers/tasks/version.ts').logicalId,
      ok: true,
    });
    const allocated = await twin.builds.getBuild('orders', 1);
    expect(allocated).toMatchObject({ version: 1, commit: COMMIT, execution: 'twin-start-1' });
    expect(run.events.filter((e) => e.type === 'StateEntered').map((e) => e.state)).toEqual([
      'begin',
      'version',
      'build',
    ]);
    // Every call so far was the function's own and allowed by its role.
    expect(twin.sdk.calls.length).toBeGreaterThan(0);
    expect(
      twin.sdk.calls.every((c) => c.outcome === 'ok' || c.outcome === 'ConditionalCheckFailedException'),
    ).toBe(true);
  }, 60_000);

  it('fails the version state with AccessDenied naming the action and the table when its role loses dynamodb:UpdateItem', async () => {
    // Prepare
    const edited = withoutGrant(stacks, 'TaskVersionRoleDefaultPolicy', 'dynamodb:UpdateItem');

    // Act
    const { twin, run } = await startOrders(edited, 'twin-denied-1');
    await run.done;

    // Assess
    const table = twin.table.tableName;
    const failed = run.events.find((e) => e.type === 'StateFailed' && e.state === 'version');
    // The handler wraps the SDK error in its domain error; the Cause (Lambda's error payload) carries
    // AWS's AccessDenied message, and the twin's call log the denied call itself.
    expect(failed?.error).toBe('BuildDataUnavailableError');
    expect(failed?.cause).toContain(
      `is not authorized to perform: dynamodb:UpdateItem on resource: arn:aws:dynamodb:eu-west-1:123456789012:table/${table}`,
    );
    expect(twin.sdk.calls).toContainEqual({
      function: twin.lambdas.byEntry('lambdas/handlers/tasks/version.ts').logicalId,
      service: 'dynamodb',
      command: 'Update',
      outcome: 'AccessDeniedException',
    });
    expect(run.status).toBe('FAILED');
    expect(await twin.builds.getBuild('orders', 1)).toBeUndefined();
  }, 60_000);
});
