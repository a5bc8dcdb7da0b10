// The deploy task on AWS: the deploy target its environment names (EC2 + ALB, or Lambda aliases), the build data repository, the per-run bot
// schedules of an ephemeral environment (created at its first deploy), and the service stack's bot
// schedules of a lasting one (switched on by its first deploy).

import { deployTargetFromEnv } from '../../adapters/aws/deployTarget/fromEnv.ts';
import { readFunctionEnv } from '../../adapters/aws/functionEnvironment.ts';
import {
  buildRecordsFromEnv,
  environmentBotsFromEnv,
  lastingBotsFromEnv,
} from '../../adapters/aws/pipeline/fromEnv.ts';
import { taskHandler } from '../../adapters/aws/pipeline/taskHandler.ts';

const env = readFunctionEnv('deploy');

export const handler = taskHandler('deploy', {
  builds: buildRecordsFromEnv(env),
  target: deployTargetFromEnv(env),
  environmentBots: environmentBotsFromEnv(env),
  lastingBots: lastingBotsFromEnv(),
});
