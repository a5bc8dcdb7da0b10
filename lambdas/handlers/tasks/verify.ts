// The verify task on AWS (lambda:invoke.waitForTaskToken): opens the window and schedules its end;
// an alarm event or the schedule resumes the state. Through the pipeline's verify, which adds the
// environment, verification settings, step and version to the params.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readFunctionEnv } from '../../adapters/aws/functionEnvironment.ts';
import { buildRecordsFromEnv, verifyFromEnv } from '../../adapters/aws/pipeline/fromEnv.ts';
import { taskHandler } from '../../adapters/aws/pipeline/taskHandler.ts';

const env = readFunctionEnv('verify');
const dynamo = new DynamoDBClient({});

export const handler = taskHandler('verify', {
  builds: buildRecordsFromEnv(env, dynamo),
  verify: verifyFromEnv(env, dynamo),
});
