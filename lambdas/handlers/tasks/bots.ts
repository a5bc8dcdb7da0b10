// The bots task on AWS: every bot scenario once against the environment, metrics as EMF.

import { deployTargetFromEnv } from '../../adapters/aws/deployTarget/fromEnv.ts';
import { readFunctionEnv } from '../../adapters/aws/functionEnvironment.ts';
import { botsFromEnv, buildRecordsFromEnv } from '../../adapters/aws/pipeline/fromEnv.ts';
import { taskHandler } from '../../adapters/aws/pipeline/taskHandler.ts';

const env = readFunctionEnv('bots');

export const handler = taskHandler('bots', {
  builds: buildRecordsFromEnv(env),
  target: deployTargetFromEnv(env),
  bots: botsFromEnv(),
});
