// The rollback task on AWS: canary weight to 0 and stopped, ROLLED_BACK recorded, the team told (SNS).
import { buildRecordsFromEnv, notifyFromEnv } from '../../adapters/aws/pipeline/fromEnv.ts';
import { taskHandler } from '../../adapters/aws/pipeline/taskHandler.ts';
import { ec2DeployTargetFromEnv } from '../../adapters/aws/target/fromEnv.ts';

export const handler = taskHandler('rollback', {
  builds: buildRecordsFromEnv(),
  target: ec2DeployTargetFromEnv(),
  notify: notifyFromEnv(),
});
