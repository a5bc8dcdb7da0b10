// The judge task on AWS: canary against baseline on the ALB's CloudWatch series of the step's window.
import { readFunctionEnv } from '../../adapters/aws/functionEnvironment.ts';
import { buildRecordsFromEnv, canarySamplesFromEnv } from '../../adapters/aws/pipeline/fromEnv.ts';
import { taskHandler } from '../../adapters/aws/pipeline/taskHandler.ts';
import { ec2DeployTargetFromEnv } from '../../adapters/aws/target/fromEnv.ts';

const env = readFunctionEnv('judge');

export const handler = taskHandler('judge', {
  builds: buildRecordsFromEnv(env),
  target: ec2DeployTargetFromEnv(env),
  samples: canarySamplesFromEnv(env),
});
