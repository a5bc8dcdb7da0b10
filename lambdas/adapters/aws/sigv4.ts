/**
 * SigV4 for Lambda Function URLs with AuthType AWS_IAM: the bots (to a Lambda service's test alias)
 * and the CLI/dashboard (to the control endpoint) sign their requests with `@smithy/signature-v4`
 * and node:crypto's SHA-256. A Function URL is `https://<url-id>.lambda-url.<region>.on.aws/`
 * (Lambda developer guide, "Function URLs"); the signing service is `lambda`.
 */
import { createHash, createHmac } from 'node:crypto';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { SignatureV4 } from '@smithy/signature-v4';
import type { FetchLike } from '../../core/evidence/botRunner.ts';
import { AwsEnvironmentError } from './errors.ts';

/** Bytes of what the signer hands a checksum (string, ArrayBuffer or a view). */
type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (data: SourceData): Buffer | string =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);

/** SHA-256 for SigV4 from node:crypto (HMAC when keyed), the Checksum shape the signer expects. */
export class NodeSha256 {
  private hash;
  private readonly key: Buffer | string | undefined;
  constructor(secret?: SourceData) {
    this.key = secret === undefined ? undefined : bytes(secret);
    this.hash = this.fresh();
  }
  private fresh() {
    return this.key === undefined ? createHash('sha256') : createHmac('sha256', this.key);
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

const FUNCTION_URL = /^[a-z0-9-]+\.lambda-url\.([a-z0-9-]+)\.on\.aws$/;

/** The region of a Function URL's host, or undefined for any other host. */
export function functionUrlRegion(hostname: string): string | undefined {
  return FUNCTION_URL.exec(hostname)?.[1];
}

/**
 * The Lambda execution role's credentials, which the runtime puts in the environment
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), read at signing time.
 */
export async function lambdaRoleCredentials(
  env: NodeJS.ProcessEnv = process.env,
): Promise<AwsCredentialIdentity> {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new AwsEnvironmentError(
      'Environment variable AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY is required to sign a Function URL request',
    );
  }
  return {
    accessKeyId,
    secretAccessKey,
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
  };
}

/**
 * The bots' fetch: a request to a Function URL is SigV4-signed with `credentials` (method, path,
 * query, host, body); any other request goes out as it is.
 */
export function signingFetch(
  inner: FetchLike,
  credentials: () => Promise<AwsCredentialIdentity> = () => lambdaRoleCredentials(),
): FetchLike {
  const signers = new Map<string, SignatureV4>();
  return async (url, init) => {
    const target = new URL(url);
    const region = functionUrlRegion(target.hostname);
    if (region === undefined) return inner(url, init);
    let signer = signers.get(region);
    if (signer === undefined) {
      signer = new SignatureV4({ service: 'lambda', region, credentials, sha256: NodeSha256 });
      signers.set(region, signer);
    }
    const query: Record<string, string> = {};
    target.searchParams.forEach((value, key) => {
      query[key] = value;
    });
    const signed = await signer.sign({
      method: init.method,
      protocol: target.protocol,
      hostname: target.hostname,
      path: target.pathname,
      query,
      headers: { ...init.headers, host: target.host },
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    return inner(url, { ...init, headers: signed.headers as Record<string, string> });
  };
}
