// The provision task on AWS: the EC2 + ALB deploy target, the build data repository, and the per-run
// alarms of a run's test environment.
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { cloudWatchRunAlarms } from '../../adapters/aws/evidence/runAlarms.ts';
import { readFunctionEnv } from '../../adapters/aws/functionEnvironment.ts';
import { buildRecordsFromEnv } from '../../adapters/aws/pipeline/fromEnv.ts';
import { taskHandler } from '../../adapters/aws/pipeline/taskHandler.ts';
import { ec2DeployTargetFromEnv } from '../../adapters/aws/target/fromEnv.ts';

const env = readFunctionEnv('provision');

export const handler = taskHandler('provision', {
  builds: buildRecordsFromEnv(env),
  target: ec2DeployTargetFromEnv(env),
  runAlarms: cloudWatchRunAlarms(new CloudWatchClient({})),
});
