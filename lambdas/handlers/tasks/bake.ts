// The bake task on AWS: an AMI from the artifact the build reported in S3.
import { artifactSource } from '../../adapters/aws/pipeline/artifactSource.ts';
import { buildRecordsFromEnv } from '../../adapters/aws/pipeline/fromEnv.ts';
import { taskHandler } from '../../adapters/aws/pipeline/taskHandler.ts';
import { ec2DeployTargetFromEnv } from '../../adapters/aws/target/fromEnv.ts';

export const handler = taskHandler('bake', {
  builds: buildRecordsFromEnv(),
  target: ec2DeployTargetFromEnv(),
  source: artifactSource,
});
