// The deploy task on AWS: the EC2 + ALB deploy target, the build data repository, and the per-run bot
// schedules of an ephemeral environment (created at its first deploy).
import { readFunctionEnv } from '../../adapters/aws/functionEnvironment.ts';
import { buildRecordsFromEnv, environmentBotsFromEnv } from '../../adapters/aws/pipeline/fromEnv.ts';
import { taskHandler } from '../../adapters/aws/pipeline/taskHandler.ts';
import { ec2DeployTargetFromEnv } from '../../adapters/aws/target/fromEnv.ts';

const env = readFunctionEnv('deploy');

export const handler = taskHandler('deploy', {
  builds: buildRecordsFromEnv(env),
  target: ec2DeployTargetFromEnv(env),
  environmentBots: environmentBotsFromEnv(env),
});
