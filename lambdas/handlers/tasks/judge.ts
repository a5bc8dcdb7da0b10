// The judge task on AWS: canary against baseline on the CloudWatch series of the step's window (the
// ALB's target groups, or the function's versions behind its alias: whichever target it drives).

import { canarySamplesFromEnv, deployTargetFromEnv } from '../../adapters/aws/deployTarget/fromEnv.ts';
import { readFunctionEnv } from '../../adapters/aws/functionEnvironment.ts';
import { buildRecordsFromEnv } from '../../adapters/aws/pipeline/fromEnv.ts';
import { taskHandler } from '../../adapters/aws/pipeline/taskHandler.ts';

const env = readFunctionEnv('judge');
const target = deployTargetFromEnv(env);

export const handler = taskHandler('judge', {
  builds: buildRecordsFromEnv(env),
  target,
  samples: canarySamplesFromEnv(env, target),
});
