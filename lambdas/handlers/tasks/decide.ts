// The decide task on AWS: after a verify timeout, the window's verdict from its CloudWatch evidence.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readFunctionEnv } from '../../adapters/aws/functionEnvironment.ts';
import { buildRecordsFromEnv, decideFromEnv } from '../../adapters/aws/pipeline/fromEnv.ts';
import { taskHandler } from '../../adapters/aws/pipeline/taskHandler.ts';

const env = readFunctionEnv('decide');
const dynamo = new DynamoDBClient({});

export const handler = taskHandler('decide', {
  builds: buildRecordsFromEnv(env, dynamo),
  decide: decideFromEnv(env, dynamo),
});
