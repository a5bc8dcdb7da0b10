import {
  DescribeExecutionCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handleControlRequest } from '../../../lambdas/adapters/aws/control/controlRequest.ts';
import { sfnTaskTokens } from '../../../lambdas/adapters/aws/evidence/sfnTaskTokens.ts';
import { sfnControlExecutions } from '../../../lambdas/adapters/aws/reconcile/deployedReconcile.ts';
import { BuildRepository } from '../../../lambdas/adapters/dynamo/buildRepository.ts';
import { DynamoWindowStore } from '../../../lambdas/adapters/dynamo/windowStore.ts';
import { type LocalTable, startLocalTable } from '../../../lambdas/adapters/local/dynalite.ts';
import type { ControlPorts } from '../../../lambdas/core/control/control.ts';

/**
 * The control Lambda's path on the build table (dynalite) with Step Functions mocked: what it finds,
 * the task token it fails or resumes, and the CONTROL event it records with the caller's ARN.
 */
const sfn = mockClient(SFNClient);
const CALLER = 'arn:aws:sts::111122223333:assumed-role/release-managers/alice';
const commit = 'c'.repeat(40);

const urlEvent = (body: unknown, options: { caller?: string; method?: string } = {}) => ({
  requestContext: {
    http: { method: options.method ?? 'POST' },
    ...(options.caller === undefined ? {} : { authorizer: { iam: { userArn: options.caller } } }),
  },
  body: typeof body === 'string' ? body : JSON.stringify(body),
  isBase64Encoded: false,
});

describe('the control Lambda', () => {
  let table: LocalTable;
  let repo: BuildRepository;
  let windows: DynamoWindowStore;
  let ports: ControlPorts;
  let run = 0;
  let version = 0;

  beforeAll(async () => {
    table = await startLocalTable();
    repo = new BuildRepository({ client: table.client, tableName: table.tableName });
    windows = new DynamoWindowStore({ client: table.client, tableName: table.tableName });
    await repo.registerService({ service: 'orders', team: 'checkout', solution: 'webshop', repo: 'r' });
    ports = {
      records: repo,
      window: {
        windows,
        tokens: sfnTaskTokens(new SFNClient({ region: 'eu-west-1' })),
        // No alarm fired and plenty of bot samples: a promote closes the window PASSED.
        evidence: { readEvidence: async () => ({ alarms: [], botSamples: 500 }) },
      },
    };
  }, 60_000);

  afterAll(async () => {
    await table?.close();
  });

  beforeEach(async () => {
    sfn.reset();
    sfn.on(SendTaskFailureCommand).resolves({});
    sfn.on(SendTaskSuccessCommand).resolves({});
    // A run in progress with its qa canary window open.
    run++;
    const execution = `gh-run-${run}`;
    ({ version } = await repo.allocateVersion({ service: 'orders', commit, execution }));
    await repo.recordRunStarted({ execution, service: 'orders', version, commit, pipeShape: null });
    await repo.recordTaskEvent({
      execution,
      service: 'orders',
      version,
      task: 'canary-verify@20',
      type: 'verify',
      environment: 'qa',
      phase: 'start',
      at: new Date().toISOString(),
    });
    await windows.openWindow({
      service: 'orders',
      environment: 'qa',
      execution,
      version,
      token: `token-${run}`,
      step: 20,
      startedAt: new Date(Date.now() - 60_000).toISOString(),
      endsAt: new Date(Date.now() + 60_000).toISOString(),
    });
  });

  afterEach(() => {
    sfn.reset();
  });

  const controlEvents = async () =>
    (await repo.listEvents('orders', version)).filter((e) => e.kind === 'CONTROL');

  it('rolls back: fails the window token with ManualRollback and records who did it', async () => {
    const result = await handleControlRequest(
      urlEvent({ action: 'rollback', service: 'orders', environment: 'qa' }, { caller: CALLER }),
      ports,
    );
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({
      done: true,
      actor: CALLER,
      windows: [{ environment: 'qa', version }],
    });
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, {
      taskToken: `token-${run}`,
      error: 'ManualRollback',
    });
    expect(await windows.findOpenWindow('orders', 'qa')).toBeUndefined();
    expect(await controlEvents()).toEqual([
      expect.objectContaining({ kind: 'CONTROL', action: 'rollback', actor: CALLER, environment: 'qa' }),
    ]);
  });

  it('rolls back and removes the closed window’s pending end schedule, as an alarm closing it does', async () => {
    // Prepare: the window-end scheduler records what it is asked to cancel.
    const cancelled: string[] = [];
    const withEnds: ControlPorts = {
      ...ports,
      window: {
        ...ports.window,
        windowEnds: {
          cancelWindowEnd: async (w) => {
            cancelled.push(w.token);
          },
        },
      },
    };

    // Act
    const result = await handleControlRequest(
      urlEvent({ action: 'rollback', service: 'orders', environment: 'qa' }, { caller: CALLER }),
      withEnds,
    );

    // Assess
    expect(result.statusCode).toBe(200);
    expect(cancelled).toEqual([`token-${run}`]);
  });

  it("aborts: fails the service's open windows with Aborted", async () => {
    const result = await handleControlRequest(
      urlEvent({ action: 'abort', service: 'orders' }, { caller: CALLER }),
      ports,
    );
    expect(result.statusCode).toBe(200);
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, {
      taskToken: `token-${run}`,
      error: 'Aborted',
    });
    expect((await controlEvents())[0]).toMatchObject({ action: 'abort', actor: CALLER });
  });

  it('promotes: closes the window now on the evidence so far and resumes the run', async () => {
    const result = await handleControlRequest(
      urlEvent({ action: 'promote', service: 'orders' }, { caller: CALLER }),
      ports,
    );
    expect(JSON.parse(result.body).reason).toMatch(/qa: window closed early, verdict PASSED/);
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: `token-${run}` });
    expect((await controlEvents())[0]).toMatchObject({ action: 'promote', actor: CALLER });
  });

  it('aborts a run between windows (baking): stops its execution and records who did it', async () => {
    // Prepare: cart's run is baking (no verify started); Step Functions still runs its execution.
    await repo.registerService({ service: 'cart', team: 'checkout', solution: 'webshop', repo: 'r' });
    const baking = await repo.allocateVersion({ service: 'cart', commit, execution: 'gh-cart-1' });
    await repo.recordRunStarted({
      execution: 'gh-cart-1',
      service: 'cart',
      version: baking.version,
      commit,
      pipeShape: null,
    });
    const machine = 'arn:aws:states:eu-west-1:123456789012:stateMachine:vouch-ec2-canary';
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    sfn.on(StopExecutionCommand).resolves({ stopDate: new Date() });
    const withExecutions: ControlPorts = {
      ...ports,
      executions: sfnControlExecutions(new SFNClient({ region: 'eu-west-1' }), { 'ec2-canary': machine }, [
        { service: 'cart', team: 'checkout', flavour: 'ec2-canary', environments: [] },
      ]),
    };

    // Act
    const result = await handleControlRequest(
      urlEvent({ action: 'abort', service: 'cart' }, { caller: CALLER }),
      withExecutions,
    );

    // Assess
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({ done: true, actor: CALLER });
    expect(sfn).toHaveReceivedCommandWith(StopExecutionCommand, {
      executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:vouch-ec2-canary:gh-cart-1',
      error: 'Aborted',
      cause: expect.stringContaining(CALLER),
    });
    const events = (await repo.listEvents('cart', baking.version)).filter((e) => e.kind === 'CONTROL');
    expect(events).toEqual([
      expect.objectContaining({
        action: 'abort',
        actor: CALLER,
        result: expect.stringMatching(/execution stopped/),
      }),
    ]);

    // An execution that already ended is not stopped again, and nothing more is recorded as done.
    sfn.reset();
    sfn.on(DescribeExecutionCommand).resolves({ status: 'ABORTED' });
    const again = await handleControlRequest(
      urlEvent({ action: 'abort', service: 'cart' }, { caller: CALLER }),
      withExecutions,
    );
    expect(JSON.parse(again.body)).toMatchObject({
      done: false,
      reason: expect.stringMatching(/the execution had already ended/),
    });
    expect(sfn).not.toHaveReceivedCommand(StopExecutionCommand);
  });

  it('refuses a request without a verified caller, and bad requests, touching nothing', async () => {
    const unsigned = await handleControlRequest(urlEvent({ action: 'abort', service: 'orders' }), ports);
    expect(unsigned.statusCode).toBe(403);
    expect(JSON.parse(unsigned.body).error).toMatch(/AWS_IAM/);
    const bad = await handleControlRequest(
      urlEvent({ action: 'rollback', service: 'orders' }, { caller: CALLER }),
      ports,
    );
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body).error).toMatch(/environment/);
    expect((await handleControlRequest(urlEvent('{not json', { caller: CALLER }), ports)).statusCode).toBe(
      400,
    );
    expect(
      (await handleControlRequest(urlEvent({}, { caller: CALLER, method: 'GET' }), ports)).statusCode,
    ).toBe(405);
    expect(sfn.calls()).toHaveLength(0);
    expect(await windows.findOpenWindow('orders', 'qa')).toMatchObject({ token: `token-${run}` });
    expect(await controlEvents()).toEqual([]);
  });

  it('says so when there is no window to act on', async () => {
    const result = await handleControlRequest(
      urlEvent({ action: 'rollback', service: 'orders', environment: 'prod' }, { caller: CALLER }),
      ports,
    );
    expect(JSON.parse(result.body)).toMatchObject({
      done: false,
      reason: 'no open verification window for orders in prod',
    });
    expect(sfn.calls()).toHaveLength(0);
  });
});
