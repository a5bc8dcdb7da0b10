// The provision task on AWS: the EC2 + ALB deploy target, and the build data repository.
import { readFunctionEnv } from '../../adapters/aws/functionEnvironment.ts';
import { buildRecordsFromEnv } from '../../adapters/aws/pipeline/fromEnv.ts';
import { taskHandler } from '../../adapters/aws/pipeline/taskHandler.ts';
import { ec2DeployTargetFromEnv } from '../../adapters/aws/target/fromEnv.ts';

const env = readFunctionEnv('provision');

export const handler = taskHandler('provision', {
  builds: buildRecordsFromEnv(env),
  target: ec2DeployTargetFromEnv(env),
});
