// The bots sign requests to AWS_IAM Function URLs (a Lambda service's test alias) with SigV4; any
// other request goes out untouched.
import { describe, expect, it } from 'vitest';
import {
  functionUrlRegion,
  lambdaRoleCredentials,
  signingFetch,
} from '../../../lambdas/adapters/aws/sigv4.ts';
import type { FetchLike } from '../../../lambdas/core/evidence/botRunner.ts';

const CREDENTIALS = async () => ({
  accessKeyId: 'ASIAEXAMPLE',
  secretAccessKey: 'secret',
  sessionToken: 'token',
});

function recording() {
  const sent: { url: string; headers: Record<string, string>; body?: string }[] = [];
  const inner: FetchLike = async (url, init) => {
    sent.push({ url, headers: init.headers, ...(init.body === undefined ? {} : { body: init.body }) });
    return { status: 200, headers: new Headers(), text: async () => '' };
  };
  return { sent, inner };
}

describe('signingFetch', () => {
  it('signs a Function URL request for lambda in the URL’s region, with the session token', async () => {
    // Prepare
    const { sent, inner } = recording();
    const fetch = signingFetch(inner, CREDENTIALS);
    // Act
    await fetch('https://abc123-test.lambda-url.eu-west-1.on.aws/orders?x=1', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"item":"coffee beans"}',
    });
    // Assess
    const headers = sent[0]?.headers ?? {};
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE\/\d{8}\/eu-west-1\/lambda\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
    expect(headers['x-amz-security-token']).toBe('token');
    expect(sent[0]?.body).toBe('{"item":"coffee beans"}');
  });

  it('sends any other request as it is', async () => {
    const { sent, inner } = recording();
    await signingFetch(inner, CREDENTIALS)('https://orders-fn-qa.example.com/orders', {
      method: 'GET',
      headers: { accept: 'application/json' },
    });
    expect(sent[0]?.headers).toEqual({ accept: 'application/json' });
  });

  it('reads the role’s credentials from the Lambda environment, refusing when they are missing', async () => {
    expect(functionUrlRegion('x.lambda-url.us-east-2.on.aws')).toBe('us-east-2');
    expect(functionUrlRegion('orders.example.com')).toBeUndefined();
    await expect(
      lambdaRoleCredentials({ AWS_ACCESS_KEY_ID: 'A', AWS_SECRET_ACCESS_KEY: 'S' }),
    ).resolves.toEqual({
      accessKeyId: 'A',
      secretAccessKey: 'S',
    });
    await expect(lambdaRoleCredentials({})).rejects.toThrow(
      /AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY is required/,
    );
  });
});
