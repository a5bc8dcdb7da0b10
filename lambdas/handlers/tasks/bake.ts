// The bake task on AWS: an AMI from the artifact the build reported (or uploaded by convention) in S3.

import { deployTargetFromEnv } from '../../adapters/aws/deployTarget/fromEnv.ts';
import { readFunctionEnv } from '../../adapters/aws/functionEnvironment.ts';
import { artifactSourceFromEnv, buildRecordsFromEnv } from '../../adapters/aws/pipeline/fromEnv.ts';
import { taskHandler } from '../../adapters/aws/pipeline/taskHandler.ts';

const env = readFunctionEnv('bake');

export const handler = taskHandler('bake', {
  builds: buildRecordsFromEnv(env),
  target: deployTargetFromEnv(env),
  source: artifactSourceFromEnv(env),
});
