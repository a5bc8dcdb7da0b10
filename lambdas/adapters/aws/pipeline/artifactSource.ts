/**
 * The bake source on AWS: the service artifact the build task uploaded to S3. A task that reported one
 * in its output (`{ "artifact": "s3://..." }`, the buildspec's send-task-success output) wins; without
 * one, the URI the build step uploads to by convention, `s3://<bucket>/<service>/<commit>.tar.gz`
 * (a pipe without a build task bakes what another pipe built for the same commit). Locally the source
 * is the commit's files; on AWS the builder instance fetches the artifact (Ec2DeployTarget.bake).
 */
import type { RunState } from '../../../core/pipeline/contract.ts';
import { artifactFormatOf, artifactUri } from '../codebuild/artifactUri.ts';
import { BakeSourceNotFoundError } from './errors.ts';

export { artifactUri };

export interface ArtifactSourceOptions {
  /** The artifact bucket (RUNTIME_ENV.artifactBucket). @default none: only a reported artifact bakes */
  readonly bucket?: string;
}

export function artifactSource(run: RunState, options: ArtifactSourceOptions = {}): { source: string } {
  for (const output of Object.values(run.out)) {
    const artifact = (output as { artifact?: unknown } | null)?.artifact;
    if (typeof artifact === 'string' && artifact.startsWith('s3://')) return { source: artifact };
  }
  if (options.bucket !== undefined && options.bucket !== '') {
    return { source: artifactUri(options.bucket, run.service, run.commit, artifactFormatOf(run.pipe)) };
  }
  throw new BakeSourceNotFoundError(run.service, run.commit);
}

/** The `source` port of the bake Lambda, over the platform's artifact bucket. */
export function bucketArtifactSource(bucket: string): (run: RunState) => { source: string } {
  return (run) => artifactSource(run, { bucket });
}
