// EventBridge rule on "CloudWatch Alarm State Change" for vouch.* alarms: an alarm in ALARM fails the
// open verification window of its (service, environment) at once.
import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { cloudWatchEvidence } from '../adapters/aws/evidence/cloudWatchEvidence.ts';
import { sfnTaskTokens } from '../adapters/aws/evidence/sfnTaskTokens.ts';
import { DynamoWindowStore } from '../adapters/dynamo/windowStore.ts';
import { handleAlarmStateChange } from '../core/evidence/events.ts';
import { requireEnv } from '../core/shared/env.ts';

const tableName = requireEnv('VOUCH_BUILD_TABLE');
const logger = new Logger({ serviceName: 'vouch-alarm-event' });
const ports = {
  windows: new DynamoWindowStore({ client: new DynamoDBClient({}), tableName }),
  evidence: cloudWatchEvidence(new CloudWatchClient({})),
  tokens: sfnTaskTokens(new SFNClient({})),
  logger,
};

export async function handler(event: unknown) {
  const outcome = await handleAlarmStateChange(event, ports);
  if (outcome !== undefined)
    logger.info('window resumed', { verdict: { ...outcome.verdict }, delivery: outcome.delivery });
  return outcome?.verdict ?? null;
}
