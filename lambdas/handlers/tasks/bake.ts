// The bake task on AWS: an AMI from the artifact the build reported (or uploaded by convention) in S3.
import { artifactSourceFromEnv, buildRecordsFromEnv } from '../../adapters/aws/pipeline/fromEnv.ts';
import { taskHandler } from '../../adapters/aws/pipeline/taskHandler.ts';
import { ec2DeployTargetFromEnv } from '../../adapters/aws/target/fromEnv.ts';

export const handler = taskHandler('bake', {
  builds: buildRecordsFromEnv(),
  target: ec2DeployTargetFromEnv(),
  source: artifactSourceFromEnv(),
});
