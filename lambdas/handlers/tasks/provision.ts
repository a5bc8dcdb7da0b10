// The provision task on AWS: the deploy target its environment names (EC2 + ALB, or Lambda aliases), the build data repository, and the per-run
// alarms of a run's test environment.
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { deployTargetFromEnv } from '../../adapters/aws/deployTarget/fromEnv.ts';
import { cloudWatchRunAlarms } from '../../adapters/aws/evidence/runAlarms.ts';
import { readFunctionEnv } from '../../adapters/aws/functionEnvironment.ts';
import { buildRecordsFromEnv } from '../../adapters/aws/pipeline/fromEnv.ts';
import { taskHandler } from '../../adapters/aws/pipeline/taskHandler.ts';

const env = readFunctionEnv('provision');

export const handler = taskHandler('provision', {
  builds: buildRecordsFromEnv(env),
  target: deployTargetFromEnv(env),
  runAlarms: cloudWatchRunAlarms(new CloudWatchClient({})),
});
