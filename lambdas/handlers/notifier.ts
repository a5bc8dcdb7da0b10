/**
 * Notifier Lambda: SNS (the notification topic) -> Slack. Thin: parse, deliver, throw on final failure
 * so the async invocation's retries and on-failure destination (the SQS DLQ) keep the event.
 * Env: SLACK_TOKEN_SECRET_ARN, TEAM_CHANNELS (JSON team -> channel), VOUCH_BUILD_TABLE (RUNTIME_ENV.buildTable,
 * as every other Vouch Lambda reads it); optional SLACK_API_URL.
 * Timeout: >= 3 minutes: a delivery waits at most 150 s in total (DEFAULT_RETRY_POLICY.maxTotalWaitMs) plus its HTTP calls.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { SecretValueMissingError } from '../adapters/aws/errors.ts';
import { RUNTIME_ENV } from '../adapters/aws/functionEnvironment.ts';
import { createCloudWatchChartPort } from '../adapters/aws/notify/cloudWatchChart.ts';
import { DynamoDeliveryStore } from '../adapters/aws/notify/dynamoDeliveryStore.ts';
import { createLambdaFailureDeadLetters } from '../adapters/aws/notify/lambdaDeadLetter.ts';
import { deliverSnsNotifications } from '../adapters/aws/notify/snsNotifications.ts';
import type { NotificationSink } from '../adapters/slack/ports.ts';
import { createSlackNotifier, createSlackWebClient } from '../adapters/slack/slackNotifier.ts';
import { requireEnv } from '../core/shared/env.ts';

const secretArn = requireEnv('SLACK_TOKEN_SECRET_ARN');
const tableName = requireEnv(RUNTIME_ENV.buildTable);
const teamChannels = z.record(z.string(), z.string()).parse(JSON.parse(requireEnv('TEAM_CHANNELS')));
const slackApiUrl = process.env.SLACK_API_URL;

const secrets = new SecretsManagerClient({});
const cloudWatch = new CloudWatchClient({});
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});

// The token is read once per container, on first use.
let sink: Promise<NotificationSink> | undefined;
async function createSink(): Promise<NotificationSink> {
  const secret = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
  if (!secret.SecretString) throw new SecretValueMissingError(secretArn, 'the Slack bot token');
  return createSlackNotifier({
    client: createSlackWebClient(secret.SecretString, slackApiUrl ? { slackApiUrl } : {}),
    teamChannels,
    store: new DynamoDeliveryStore(doc, tableName),
    deadLetters: createLambdaFailureDeadLetters(),
    chart: createCloudWatchChartPort(cloudWatch),
  });
}

export async function handler(event: unknown): Promise<{ delivered: number }> {
  sink ??= createSink().catch((error) => {
    sink = undefined; // do not cache a failed secret read
    throw error;
  });
  const results = await deliverSnsNotifications(event, await sink);
  return { delivered: results.length };
}
