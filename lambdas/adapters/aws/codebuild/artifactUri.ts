/**
 * Where the build task of `service` at `commit` uploads its artifact (VOUCH_ARTIFACT_URI), by
 * convention; the bake source (pipeline/artifactSource.ts) reads it from the same place.
 */
export function artifactUri(bucket: string, service: string, commit: string): string {
  return `s3://${bucket}/${service}/${commit}.tar.gz`;
}
