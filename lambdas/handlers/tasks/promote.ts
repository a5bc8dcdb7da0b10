// The promote task on AWS: the deploy target its environment names (EC2 + ALB, or Lambda aliases), and the build data repository.

import { deployTargetFromEnv } from '../../adapters/aws/deployTarget/fromEnv.ts';
import { readFunctionEnv } from '../../adapters/aws/functionEnvironment.ts';
import { buildRecordsFromEnv } from '../../adapters/aws/pipeline/fromEnv.ts';
import { taskHandler } from '../../adapters/aws/pipeline/taskHandler.ts';

const env = readFunctionEnv('promote');

export const handler = taskHandler('promote', {
  builds: buildRecordsFromEnv(env),
  target: deployTargetFromEnv(env),
});
