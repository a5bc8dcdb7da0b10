/**
 * The task Lambdas as deployed: each handler module imported after its environment is set, its SDK
 * clients mocked (aws-sdk-client-mock), the calls asserted with the vitest matchers.
 */
import { CodeBuildClient, StartBuildCommand } from '@aws-sdk/client-codebuild';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { MissingTaskTokenError } from '../../../lambdas/adapters/aws/codebuild/errors.ts';
import { taskTokenKey } from '../../../lambdas/adapters/aws/codebuild/taskTokenItems.ts';
import {
  TaskEventInvalidError,
  TaskTypeMismatchError,
} from '../../../lambdas/adapters/aws/pipeline/errors.ts';
import type { TaskLambdaHandler } from '../../../lambdas/adapters/aws/pipeline/taskHandler.ts';
import { EC2_TARGET_ENV } from '../../../lambdas/adapters/aws/target/config.ts';
import { keys } from '../../../lambdas/adapters/dynamo/keys.ts';
import { parseNotification } from '../../../lambdas/core/notify/notification.ts';
import { RUNTIME_ENV } from '../../../lib/platform/runtimeEnvironment.ts';
import { CONFIG, fakeAws } from '../aws-target/fakeAws.ts';
import { AFTER_VERSION, COMMIT, EXECUTION, SERVICE, TEAM, taskEvent, VERSION } from './fixtures.ts';

const TABLE = 'vouch-builds';
const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:vouch-notifications';
const ARTIFACT_BUCKET = 'vouch-artifacts-111122223333-eu-west-1';

const ddb = mockClient(DynamoDBDocumentClient);
const sns = mockClient(SNSClient);
const codebuild = mockClient(CodeBuildClient);

const handlers: Record<string, TaskLambdaHandler> = {};

function stubPlatformEnv() {
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  vi.stubEnv(RUNTIME_ENV.buildTable, TABLE);
  vi.stubEnv(RUNTIME_ENV.notificationTopicArn, TOPIC);
  vi.stubEnv(RUNTIME_ENV.buildProjectPrefix, 'vouch-');
  vi.stubEnv(RUNTIME_ENV.artifactBucket, ARTIFACT_BUCKET);
  // The EC2 target's task functions, as the platform stack configures them.
  vi.stubEnv('VOUCH_DEPLOY_TARGET', 'ec2');
  for (const [field, variable] of Object.entries(EC2_TARGET_ENV)) {
    const value = (CONFIG as Record<string, unknown>)[field];
    if (typeof value === 'string') vi.stubEnv(variable, value);
  }
}

beforeAll(async () => {
  stubPlatformEnv();
  for (const type of ['version', 'notify', 'rollback', 'build', 'test']) {
    handlers[type] = (
      (await import(`../../../lambdas/handlers/tasks/${type}.ts`)) as {
        handler: TaskLambdaHandler;
      }
    ).handler;
  }
});

afterAll(() => {
  vi.unstubAllEnvs();
  ddb.restore();
  sns.restore();
  codebuild.restore();
});

beforeEach(() => {
  ddb.reset();
  sns.reset();
  codebuild.reset();
  // The build the task events attach to (BuildRepository.requireBuild).
  ddb
    .on(GetCommand, { Key: keys.build(SERVICE, VERSION) })
    .resolves({ Item: { team: TEAM, execution: EXECUTION, commit: COMMIT } });
  ddb.on(PutCommand).resolves({});
  ddb.on(UpdateCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
});

const handler = (type: string) => {
  const found = handlers[type];
  if (!found) throw new Error(`handler ${type} not imported`);
  return found;
};

describe('version task Lambda', () => {
  it('allocates the version on the service counter and marks the build running', async () => {
    // Prepare: no earlier allocation for this execution; the counter moves to 7.
    ddb.on(GetCommand, { Key: keys.execution(EXECUTION) }).resolves({});
    ddb
      .on(UpdateCommand, { Key: keys.service(SERVICE) })
      .resolves({ Attributes: { lastVersion: VERSION, team: TEAM } });
    ddb.on(BatchWriteCommand).resolves({ UnprocessedItems: {} });

    // Act
    const result = await handler('version')(taskEvent('version'));

    // Assess
    expect(result).toEqual({ version: VERSION, commit: COMMIT });
    expect(ddb).toReceiveCommandWith(UpdateCommand, {
      TableName: TABLE,
      Key: keys.service(SERVICE),
      ExpressionAttributeValues: { ':one': 1 },
    });
    expect(ddb).toReceiveCommandWith(UpdateCommand, {
      TableName: TABLE,
      Key: keys.build(SERVICE, VERSION),
      ExpressionAttributeValues: expect.objectContaining({ ':running': 'RUNNING', ':execution': EXECUTION }),
    });
  });
});

describe('notify task Lambda', () => {
  it('publishes the run outcome as a notification the notifier parses', async () => {
    // Prepare: the build's timeline holds the run's promotion to qa (one Query reads it).
    ddb.on(QueryCommand).resolves({
      Items: [
        {
          pk: keys.timeline(SERVICE, VERSION),
          sk: 'EV#2026-01-01T00:00:00.000Z#promotion#PROMOTED:qa',
          kind: 'PROMOTION',
          at: '2026-01-01T00:00:00.000Z',
          promotion: 'PROMOTED',
          label: 'PROMOTED:qa',
          environment: 'qa',
          evidence: null,
          execution: EXECUTION,
        },
      ],
    });
    // Act
    const result = await handler('notify')(taskEvent('notify', { out: AFTER_VERSION }));

    // Assess
    expect(result).toEqual({ sent: true });
    expect(sns).toReceiveCommandTimes(PublishCommand, 1);
    expect(sns).toReceiveCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      MessageAttributes: expect.objectContaining({
        team: { DataType: 'String', StringValue: TEAM },
        event: { DataType: 'String', StringValue: 'RUN_SUCCEEDED' },
      }),
    });
    const message = sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '';
    const notification = parseNotification(JSON.parse(message));
    expect(notification).toMatchObject({
      id: `${EXECUTION}#notify`,
      service: SERVICE,
      version: VERSION,
      event: 'RUN_SUCCEEDED',
      verdict: { outcome: 'PASS', summary: 'version 7 released to qa' },
    });
    // The task's start and end reach the build's timeline.
    expect(ddb).toReceiveCommandWith(PutCommand, {
      Item: expect.objectContaining({ kind: 'TASK', task: 'notify', phase: 'done', outcome: 'SUCCEEDED' }),
    });
  });

  it('refuses an event for another task type and a malformed one, publishing nothing', async () => {
    await expect(handler('notify')(taskEvent('version'))).rejects.toThrow(TaskTypeMismatchError);
    await expect(handler('notify')({ task: { name: 'notify', type: 'notify' } })).rejects.toThrow(
      TaskEventInvalidError,
    );
    expect(sns).not.toReceiveCommand(PublishCommand);
  });
});

describe('rollback task Lambda', () => {
  let aws: ReturnType<typeof fakeAws> | undefined;
  afterEach(() => {
    aws?.ec2.restore();
    aws?.elb.restore();
  });

  it('routes all traffic to the baseline, records ROLLED_BACK and tells the team', async () => {
    // Prepare: qa runs v6 as baseline and v7 as canary at 25 %.
    aws = fakeAws();
    const { baseline, canary } = aws.lastingEnvironment('shop.qa', 25);
    aws.runningInstance('shop.qa', 'baseline', '6');
    const canaryInstance = aws.runningInstance('shop.qa', 'canary', '7');
    const cause = JSON.stringify({ reason: 'canary p99 latency 40 % above baseline', step: 25 });

    // Act
    const result = await handler('rollback')(
      taskEvent('rollback', {
        out: AFTER_VERSION,
        item: { name: 'qa' },
        error: { Error: 'CanaryStepFailedError', Cause: cause },
      }),
    );

    // Assess
    expect(result).toMatchObject({ rolledBack: true, canary: null, weight: 0 });
    expect(aws.weightsOf('orders.qa.example.com')).toEqual({ [baseline.arn]: 100, [canary.arn]: 0 });
    expect(canaryInstance.state).toBe('terminated');
    expect(ddb).toReceiveCommandWith(PutCommand, {
      Item: expect.objectContaining({ kind: 'PROMOTION', promotion: 'ROLLED_BACK', environment: 'qa' }),
    });
    expect(sns).toReceiveCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      MessageAttributes: expect.objectContaining({
        event: { DataType: 'String', StringValue: 'ROLLED_BACK' },
      }),
    });
    const message = JSON.parse(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '{}');
    expect(message).toMatchObject({ id: `${EXECUTION}#rollback#qa`, environment: 'qa', step: 25 });
  });
});

describe('build task Lambda', () => {
  const withBuild = { build: { command: 'npm run build', timeoutSeconds: 600 } };

  it("starts the service's CodeBuild project at the commit with the task token's key in the table", async () => {
    // Prepare
    codebuild.on(StartBuildCommand).resolves({ build: { id: 'vouch-shop:b-1' } });

    // Act
    const result = await handler('build')(
      taskEvent('build', { out: AFTER_VERSION, config: withBuild, token: 'token-1' }),
    );

    // Assess
    expect(result).toEqual({ kind: 'build', buildId: 'vouch-shop:b-1', projectName: 'vouch-shop' });
    expect(ddb).toReceiveCommandWith(PutCommand, {
      TableName: TABLE,
      Item: expect.objectContaining({ pk: taskTokenKey(SERVICE, 'token-1'), token: 'token-1' }),
    });
    expect(codebuild).toReceiveCommandWith(StartBuildCommand, {
      projectName: 'vouch-shop',
      sourceVersion: COMMIT,
      environmentVariablesOverride: expect.arrayContaining([
        { name: 'VOUCH_TASK_TOKEN_TABLE', value: TABLE, type: 'PLAINTEXT' },
        { name: 'VOUCH_TASK_TOKEN_KEY', value: taskTokenKey(SERVICE, 'token-1'), type: 'PLAINTEXT' },
        { name: 'VOUCH_TASK', value: 'build', type: 'PLAINTEXT' },
        { name: 'VOUCH_VERSION', value: '7', type: 'PLAINTEXT' },
      ]),
    });
    const variables =
      codebuild.commandCalls(StartBuildCommand)[0]?.args[0].input.environmentVariablesOverride;
    expect(JSON.stringify(variables)).not.toContain('token-1');
  });

  it(".vouch.yml's build.command runs in CodeBuild, which uploads to where bake looks by convention", async () => {
    // Prepare
    codebuild.on(StartBuildCommand).resolves({ build: { id: 'vouch-shop:b-1' } });

    // Act
    await handler('build')(taskEvent('build', { out: AFTER_VERSION, config: withBuild, token: 'token-1' }));

    // Assess
    expect(codebuild).toReceiveCommandWith(StartBuildCommand, {
      timeoutInMinutesOverride: 10,
      environmentVariablesOverride: expect.arrayContaining([
        { name: 'VOUCH_COMMAND', value: 'npm run build', type: 'PLAINTEXT' },
        {
          name: 'VOUCH_ARTIFACT_URI',
          value: `s3://${ARTIFACT_BUCKET}/${SERVICE}/${COMMIT}.tar.gz`,
          type: 'PLAINTEXT',
        },
      ]),
    });
  });

  it('refuses to start a build that could never report back (no task token)', async () => {
    // Act
    const result = handler('build')(taskEvent('build', { out: AFTER_VERSION, config: withBuild }));

    // Assess
    await expect(result).rejects.toThrow(MissingTaskTokenError);
    expect(codebuild).not.toReceiveCommand(StartBuildCommand);
  });
});

describe('test task Lambda', () => {
  it(".vouch.yml's test.command runs in CodeBuild, which uploads no artifact", async () => {
    // Prepare
    codebuild.on(StartBuildCommand).resolves({ build: { id: 'vouch-shop:t-1' } });
    const config = { test: { command: 'npm test -- --reporter dot', timeoutSeconds: 120 } };

    // Act
    await handler('test')(taskEvent('test', { out: AFTER_VERSION, config, token: 'token-2' }));

    // Assess
    const variables =
      codebuild.commandCalls(StartBuildCommand)[0]?.args[0].input.environmentVariablesOverride;
    expect(variables).toContainEqual({ name: 'VOUCH_TASK', value: 'test', type: 'PLAINTEXT' });
    expect(variables).toContainEqual({
      name: 'VOUCH_COMMAND',
      value: 'npm test -- --reporter dot',
      type: 'PLAINTEXT',
    });
    expect(variables?.map((v) => v.name)).not.toContain('VOUCH_ARTIFACT_URI');
  });
});

describe('cold start', () => {
  it('fails at import of bake when the artifact bucket is not set', async () => {
    // Prepare
    vi.resetModules();
    stubPlatformEnv();
    vi.stubEnv(RUNTIME_ENV.artifactBucket, '');

    // Act
    const imported = import('../../../lambdas/handlers/tasks/bake.ts');

    // Assess
    await expect(imported).rejects.toThrow(`Environment variable ${RUNTIME_ENV.artifactBucket} is required`);
    vi.stubEnv(RUNTIME_ENV.artifactBucket, ARTIFACT_BUCKET);
  });

  it('fails at import when a required environment variable is missing', async () => {
    // Prepare
    vi.resetModules();
    vi.stubEnv(RUNTIME_ENV.notificationTopicArn, '');

    // Act
    const imported = import('../../../lambdas/handlers/tasks/notify.ts');

    // Assess
    await expect(imported).rejects.toThrow(
      `Environment variable ${RUNTIME_ENV.notificationTopicArn} is required`,
    );
    vi.stubEnv(RUNTIME_ENV.notificationTopicArn, TOPIC);
  });

  it('imports every task handler module with the platform environment set', async () => {
    // Prepare
    vi.resetModules();
    stubPlatformEnv();
    vi.stubEnv(RUNTIME_ENV.windowScheduleGroup, 'vouch-windows');
    vi.stubEnv(RUNTIME_ENV.windowEndFunctionArn, 'arn:aws:lambda:eu-west-1:111122223333:function:window-end');
    vi.stubEnv(RUNTIME_ENV.windowEndRoleArn, 'arn:aws:iam::111122223333:role/window-end');
    vi.stubEnv(RUNTIME_ENV.runBotScheduleGroup, 'vouch-run-bots');
    vi.stubEnv(RUNTIME_ENV.botFunctionArn, 'arn:aws:lambda:eu-west-1:111122223333:function:bot');
    vi.stubEnv(RUNTIME_ENV.botRoleArn, 'arn:aws:iam::111122223333:role/run-bots');
    const { TASK_TYPES } = await import('../../../lambdas/core/pipeline/contract.ts');

    // Act
    const modules = await Promise.all(
      TASK_TYPES.map(
        async (type) => [type, await import(`../../../lambdas/handlers/tasks/${type}.ts`)] as const,
      ),
    );

    // Assess
    for (const [type, module] of modules) expect(typeof module.handler, type).toBe('function');
  });
});
