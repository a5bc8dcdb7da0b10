import { readFileSync } from 'node:fs';
import { CodeBuildClient, StartBuildCommand } from '@aws-sdk/client-codebuild';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { codeBuildCommandPort } from '../../../lambdas/adapters/aws/codebuild/startBuild.ts';
import {
  dynamoTaskTokenItems,
  taskTokenKey,
} from '../../../lambdas/adapters/aws/codebuild/taskTokenItems.ts';
import { VOUCH_BUILDSPEC_FILE } from '../../../lib/service/ServiceBuildProject.ts';
import { AFTER_VERSION, SERVICE, taskEvent } from '../aws-pipeline/fixtures.ts';

const codebuild = mockClient(CodeBuildClient);
const dynamo = mockClient(DynamoDBDocumentClient);
afterEach(() => {
  codebuild.reset();
  dynamo.reset();
});

const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAfake-task-token';

describe('risk: the task token is never a CodeBuild environment variable', () => {
  it('stores the token in the build table and gives the build only its key', async () => {
    // Prepare
    codebuild.on(StartBuildCommand).resolves({ build: { id: 'vouch-shop:1' } });
    dynamo.on(PutCommand).resolves({});
    const port = codeBuildCommandPort(new CodeBuildClient({ region: 'eu-west-1' }), {
      artifactBucket: 'vouch-artifacts-111122223333-eu-west-1',
      tokens: dynamoTaskTokenItems(new DynamoDBClient({ region: 'eu-west-1' }), 'builds', () => 0),
    });
    // Act
    await port.run('build', taskEvent('build', { token: TOKEN, out: AFTER_VERSION }), {
      command: 'make',
      timeoutSeconds: 600,
    });
    // Assess
    expect(dynamo).toReceiveCommandWith(PutCommand, {
      TableName: 'builds',
      Item: { pk: taskTokenKey(SERVICE, TOKEN), sk: 'TOKEN', token: TOKEN, expiresAt: 10 * 3600 },
    });
    const variables =
      codebuild.commandCalls(StartBuildCommand)[0]?.args[0].input.environmentVariablesOverride ?? [];
    expect(variables.map((v) => v.value)).not.toContain(TOKEN);
    expect(JSON.stringify(variables)).not.toContain(TOKEN);
    expect(variables).toEqual(
      expect.arrayContaining([
        { name: 'VOUCH_TASK_TOKEN_TABLE', value: 'builds', type: 'PLAINTEXT' },
        { name: 'VOUCH_TASK_TOKEN_KEY', value: taskTokenKey(SERVICE, TOKEN), type: 'PLAINTEXT' },
      ]),
    );
    expect(taskTokenKey(SERVICE, TOKEN)).toMatch(/^TASKTOKEN#shop#[0-9a-f]{32}$/);
  });

  it('the buildspec reads the token by that key before it reports', () => {
    const spec = parse(readFileSync(VOUCH_BUILDSPEC_FILE, 'utf8')) as {
      phases: { post_build: { commands: string[] } };
    };
    const report = spec.phases.post_build.commands.join('\n');
    expect(report).toMatch(/aws dynamodb get-item --table-name "\$VOUCH_TASK_TOKEN_TABLE"/);
    expect(report.indexOf('get-item')).toBeLessThan(report.indexOf('send-task-success'));
  });
});
