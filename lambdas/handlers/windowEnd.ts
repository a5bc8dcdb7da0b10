// Target of the one-time EventBridge Scheduler schedule at a verification window's end: decide on the
// window's evidence and resume the waiting verify task.
import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { cloudWatchEvidence } from '../adapters/aws/evidence/cloudWatchEvidence.ts';
import { sfnTaskTokens } from '../adapters/aws/evidence/sfnTaskTokens.ts';
import { DynamoWindowStore } from '../adapters/dynamo/windowStore.ts';
import { handleWindowEnd } from '../core/evidence/events.ts';
import { requireEnv } from '../core/shared/env.ts';

const tableName = requireEnv('VOUCH_BUILD_TABLE');
const logger = new Logger({ serviceName: 'vouch-window-end' });
const ports = {
  windows: new DynamoWindowStore({ client: new DynamoDBClient({}), tableName }),
  evidence: cloudWatchEvidence(new CloudWatchClient({})),
  tokens: sfnTaskTokens(new SFNClient({})),
  logger,
};

export async function handler(event: unknown) {
  const outcome = await handleWindowEnd(event, ports);
  if (outcome !== undefined)
    logger.info('window closed', { verdict: { ...outcome.verdict }, delivery: outcome.delivery });
  return outcome?.verdict ?? null;
}
