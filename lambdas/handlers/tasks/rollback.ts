// The rollback task on AWS: canary weight to 0 and stopped, ROLLED_BACK recorded, the team told (SNS).

import { deployTargetFromEnv } from '../../adapters/aws/deployTarget/fromEnv.ts';
import { readFunctionEnv } from '../../adapters/aws/functionEnvironment.ts';
import { buildRecordsFromEnv, notifyFromEnv } from '../../adapters/aws/pipeline/fromEnv.ts';
import { taskHandler } from '../../adapters/aws/pipeline/taskHandler.ts';

const env = readFunctionEnv('rollback');

export const handler = taskHandler('rollback', {
  builds: buildRecordsFromEnv(env),
  target: deployTargetFromEnv(env),
  notify: notifyFromEnv(env),
});
