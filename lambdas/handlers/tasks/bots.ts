// The bots task on AWS: every bot scenario once against the environment, metrics as EMF.
import { botsFromEnv, buildRecordsFromEnv } from '../../adapters/aws/pipeline/fromEnv.ts';
import { taskHandler } from '../../adapters/aws/pipeline/taskHandler.ts';
import { ec2DeployTargetFromEnv } from '../../adapters/aws/target/fromEnv.ts';

export const handler = taskHandler('bots', {
  builds: buildRecordsFromEnv(),
  target: ec2DeployTargetFromEnv(),
  bots: botsFromEnv(),
});
