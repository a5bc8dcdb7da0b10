// People's promote / abort / rollback on the deployed platform, behind a Function URL with AWS_IAM
// auth: `vouch promote|abort|rollback --aws` and `vouch dashboard --aws` call it with the user's
// credentials, and the caller's verified ARN is recorded with the action.
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { handleControlRequest } from '../adapters/aws/control/controlRequest.ts';
import { windowPortsFromEnv } from '../adapters/aws/evidence/windowPortsFromEnv.ts';
import { readFunctionEnv } from '../adapters/aws/functionEnvironment.ts';
import { sfnControlExecutions } from '../adapters/aws/reconcile/deployedReconcile.ts';
import { parseReconcileRegistry } from '../adapters/aws/reconcile/registry.ts';
import { BuildRepository } from '../adapters/dynamo/buildRepository.ts';

const env = readFunctionEnv('control');
const logger = new Logger({ serviceName: 'vouch-control' });
const ports = {
  records: new BuildRepository({ client: new DynamoDBClient({}), tableName: env.VOUCH_BUILD_TABLE }),
  // The same window ports as the window-end Lambda: a promote is a window end, brought forward.
  window: windowPortsFromEnv(logger),
  // An abort between windows stops the run's execution; the reconciler cleans up after it.
  executions: sfnControlExecutions(
    new SFNClient({}),
    z.record(z.string(), z.string().startsWith('arn:')).parse(JSON.parse(env.VOUCH_STATE_MACHINES)),
    parseReconcileRegistry(env.VOUCH_SERVICE_PIPES),
  ),
};

export async function handler(event: unknown) {
  const result = await handleControlRequest(event, ports);
  logger.info('control request', { status: result.statusCode, body: result.body });
  return result;
}
