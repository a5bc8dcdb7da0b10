// The notifier Lambda end to end on one machine: an SNS event in, a message at the local Slack server;
// AWS clients (Secrets Manager, DynamoDB) mocked, Slack real HTTP on 127.0.0.1.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rolledBackNotification } from './fixtures.ts';
import { type LocalSlack, startLocalSlack } from './localSlack.ts';

const secrets = mockClient(SecretsManagerClient);
const dynamo = mockClient(DynamoDBDocumentClient);
let slack: LocalSlack;

beforeAll(async () => {
  slack = await startLocalSlack();
  vi.stubEnv('SLACK_TOKEN_SECRET_ARN', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack');
  vi.stubEnv('VOUCH_BUILD_TABLE', 'vouch');
  vi.stubEnv('TEAM_CHANNELS', JSON.stringify({ payments: 'C-PAYMENTS' }));
  vi.stubEnv('SLACK_API_URL', slack.apiUrl);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  secrets.reset();
  dynamo.reset();
  await slack.close();
});

describe('notifier handler', () => {
  it('delivers an SNS notification to the team channel, and throws when Slack refuses it for good', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'xoxb-test' });
    dynamo.on(GetCommand).resolves({});
    dynamo.on(UpdateCommand).resolves({});
    const { handler } = await import('../../../lambdas/handlers/notifier.ts');
    const event = (id: string) => ({
      Records: [{ Sns: { MessageId: id, Message: JSON.stringify({ ...rolledBackNotification(), id }) } }],
    });
    // Act
    const ok = await handler(event('n-ok'));
    slack.script('chat.postMessage', { platformError: 'not_in_channel' });
    const failed = handler(event('n-refused'));
    // Assess
    expect(ok).toEqual({ delivered: 1 });
    await expect(failed).rejects.toMatchObject({ name: 'NotificationDeadLetteredError' });
    expect(slack.messages.map((m) => m.channel)).toEqual(['C-PAYMENTS']);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });
});
