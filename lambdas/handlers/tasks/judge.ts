// The judge task on AWS: canary against baseline on the ALB's CloudWatch series of the step's window.
import { buildRecordsFromEnv, canarySamplesFromEnv } from '../../adapters/aws/pipeline/fromEnv.ts';
import { taskHandler } from '../../adapters/aws/pipeline/taskHandler.ts';
import { ec2DeployTargetFromEnv } from '../../adapters/aws/target/fromEnv.ts';

export const handler = taskHandler('judge', {
  builds: buildRecordsFromEnv(),
  target: ec2DeployTargetFromEnv(),
  samples: canarySamplesFromEnv(),
});
