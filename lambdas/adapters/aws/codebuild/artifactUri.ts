/**
 * How a pipe's build packs its artifact: a Lambda service's deployment package is a .zip (Lambda's
 * UpdateFunctionCode takes nothing else from S3); an EC2 builder extracts a .tar.gz.
 */
export type ArtifactFormat = 'tar.gz' | 'zip';

/** The format of the artifact a run of `pipe` builds and bakes. */
export function artifactFormatOf(pipe: string): ArtifactFormat {
  return pipe === 'lambda-canary' ? 'zip' : 'tar.gz';
}

/**
 * Where the build task of `service` at `commit` uploads its artifact (VOUCH_ARTIFACT_URI), by
 * convention; the bake source (pipeline/artifactSource.ts) reads it from the same place. The
 * buildspec packs it by the URI's extension.
 */
export function artifactUri(
  bucket: string,
  service: string,
  commit: string,
  format: ArtifactFormat = 'tar.gz',
): string {
  return `s3://${bucket}/${service}/${commit}.${format}`;
}
