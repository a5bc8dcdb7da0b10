// People's promote / abort / rollback on the deployed platform, behind a Function URL with AWS_IAM
// auth: `vouch promote|abort|rollback --aws` and `vouch dashboard --aws` call it with the user's
// credentials, and the caller's verified ARN is recorded with the action.
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { handleControlRequest } from '../adapters/aws/control/controlRequest.ts';
import { windowPortsFromEnv } from '../adapters/aws/evidence/windowPortsFromEnv.ts';
import { BuildRepository } from '../adapters/dynamo/buildRepository.ts';
import { requireEnv } from '../core/shared/env.ts';

const logger = new Logger({ serviceName: 'vouch-control' });
const ports = {
  records: new BuildRepository({
    client: new DynamoDBClient({}),
    tableName: requireEnv('VOUCH_BUILD_TABLE'),
  }),
  // The same window ports as the window-end Lambda: a promote is a window end, brought forward.
  window: windowPortsFromEnv(logger),
};

export async function handler(event: unknown) {
  const result = await handleControlRequest(event, ports);
  logger.info('control request', { status: result.statusCode, body: result.body });
  return result;
}
