// The destroy task on AWS: the deploy target its environment names (EC2 + ALB, or Lambda aliases), the build data repository, and the per-run bot
// schedules and alarms it deletes first.
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { deployTargetFromEnv } from '../../adapters/aws/deployTarget/fromEnv.ts';
import { cloudWatchRunAlarms } from '../../adapters/aws/evidence/runAlarms.ts';
import { readFunctionEnv } from '../../adapters/aws/functionEnvironment.ts';
import { buildRecordsFromEnv, environmentBotsFromEnv } from '../../adapters/aws/pipeline/fromEnv.ts';
import { taskHandler } from '../../adapters/aws/pipeline/taskHandler.ts';

const env = readFunctionEnv('destroy');

export const handler = taskHandler('destroy', {
  builds: buildRecordsFromEnv(env),
  target: deployTargetFromEnv(env),
  environmentBots: environmentBotsFromEnv(env),
  runAlarms: cloudWatchRunAlarms(new CloudWatchClient({})),
});
