/**
 * The bake source on AWS: the service artifact a build task uploaded to S3 and reported in its output
 * (`{ "artifact": "s3://..." }`, the buildspec's send-task-success output). Locally the source is the
 * commit's files; on AWS the builder instance fetches the artifact (Ec2DeployTarget.bake).
 */
import type { RunState } from '../../../core/pipeline/contract.ts';
import { BakeSourceNotFoundError } from './errors.ts';

export function artifactSource(run: RunState): { source: string } {
  for (const output of Object.values(run.out)) {
    const artifact = (output as { artifact?: unknown } | null)?.artifact;
    if (typeof artifact === 'string' && artifact.startsWith('s3://')) return { source: artifact };
  }
  // No guess at a bucket: a missing artifact is a pipe that cannot bake on AWS yet.
  throw new BakeSourceNotFoundError(run.service, run.commit);
}
