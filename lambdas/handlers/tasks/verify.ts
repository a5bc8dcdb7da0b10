// The verify task on AWS (lambda:invoke.waitForTaskToken): opens the window and schedules its end;
// an alarm event or the schedule resumes the state. Through the pipeline's verify, which adds the
// environment, verification settings, step and version to the params.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { buildRecordsFromEnv, verifyFromEnv } from '../../adapters/aws/pipeline/fromEnv.ts';
import { taskHandler } from '../../adapters/aws/pipeline/taskHandler.ts';

const dynamo = new DynamoDBClient({});

export const handler = taskHandler('verify', {
  builds: buildRecordsFromEnv(dynamo),
  verify: verifyFromEnv(dynamo),
});
