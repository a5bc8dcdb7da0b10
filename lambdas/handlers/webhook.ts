// Lambda entry for the git push webhook: API Gateway HTTP API (payload 2.0, repeated headers joined
// with ", "), REST API (payload 1.0, `multiValueHeaders`) or a Function URL.
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { decodeServiceRegistry, readFunctionEnv } from '../adapters/aws/functionEnvironment.ts';
import { createGitHubSpecReader } from '../adapters/aws/webhook/gitHubSpecReader.ts';
import { createGitLabSpecReader } from '../adapters/aws/webhook/gitLabSpecReader.ts';
import { createCachedSecretReader } from '../adapters/aws/webhook/secretReader.ts';
import { createSfnStarter } from '../adapters/aws/webhook/sfnStarter.ts';
import { DynamoDeliveryLedger } from '../adapters/dynamo/deliveryLedger.ts';
import { handleWebhook } from '../core/webhook/handleWebhook.ts';
import { resolveLimits } from '../core/webhook/limits.ts';
import { registeredSpecLoader } from '../core/webhook/registeredServices.ts';
import { specLoaderFrom } from '../core/webhook/runSpec.ts';
import type { WebhookDeps, WebhookReplyBody } from '../core/webhook/types.ts';

const env = readFunctionEnv('webhook');
const stateMachines = z
  .record(z.string(), z.string().startsWith('arn:'))
  .parse(JSON.parse(env.VOUCH_STATE_MACHINES));
const services = z
  .array(
    z.object({
      name: z.string(),
      repo: z.string(),
      flavour: z.string(),
      team: z.string(),
      solution: z.string(),
    }),
  )
  .parse(decodeServiceRegistry(env.VOUCH_SERVICES));
const webhookSecretName = env.VOUCH_WEBHOOK_SECRET_NAME;
const gitTokenSecretName = env.VOUCH_GIT_TOKEN_SECRET_NAME;
const tableName = env.VOUCH_BUILD_TABLE;

const logger = new Logger({ serviceName: 'vouch-webhook' });
const secrets = new SecretsManagerClient({});
const sfn = new SFNClient({});
const dynamo = new DynamoDBClient({});

// One token secret serves both hosts: a GitHub token (contents:read) or a GitLab one (read_repository).
const gitToken = createCachedSecretReader({ client: secrets, secretId: gitTokenSecretName });
const readers = {
  github: createGitHubSpecReader({ token: gitToken }),
  gitlab: createGitLabSpecReader({ token: gitToken }),
};

const deps: WebhookDeps = {
  secret: createCachedSecretReader({ client: secrets, secretId: webhookSecretName }),
  loadSpec: registeredSpecLoader(
    services,
    specLoaderFrom((repo, commit, host) => readers[host](repo, commit)),
  ),
  starter: createSfnStarter({ client: sfn, stateMachineFor: (pipe) => stateMachines[pipe] }),
  logger,
  // In the build table, shared by every container: one run per push, one body per delivery id.
  ledger: new DynamoDeliveryLedger({ client: dynamo, tableName }),
};
const { maxBodyBytes } = resolveLimits(deps.limits);

const httpEvent = z.object({
  headers: z.record(z.string(), z.string()).nullish(),
  multiValueHeaders: z.record(z.string(), z.array(z.string())).nullish(),
  body: z.string().nullish(),
  httpMethod: z.string().optional(),
  isBase64Encoded: z.boolean().optional(),
  requestContext: z.object({ http: z.object({ method: z.string() }).optional() }).optional(),
});

interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const json = (statusCode: number, body: WebhookReplyBody): HttpResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

export async function handler(event: unknown): Promise<HttpResult> {
  const parsed = httpEvent.safeParse(event);
  if (!parsed.success) return json(400, { outcome: 'rejected', reason: 'not an HTTP request event' });
  const { multiValueHeaders, isBase64Encoded = false, requestContext, httpMethod } = parsed.data;
  const headers = parsed.data.headers ?? {};
  const body = parsed.data.body ?? '';
  const method = requestContext?.http?.method ?? httpMethod;
  if (method !== undefined && method !== 'POST')
    return json(405, { outcome: 'rejected', reason: 'only POST is accepted' });
  // Refuse before decoding: a string has at least as many UTF-8 bytes as characters, and 4 base64
  // characters carry 3 bytes (up to 2 of padding). handleWebhook checks the exact size.
  const atLeastBytes = isBase64Encoded ? Math.floor((body.length * 3) / 4) - 2 : body.length;
  if (atLeastBytes > maxBodyBytes) {
    return json(413, { outcome: 'rejected', reason: `body is over the limit of ${maxBodyBytes} bytes` });
  }
  const raw = isBase64Encoded ? Buffer.from(body, 'base64') : body;
  // Payload 1.0 keeps each line of a repeated header; 2.0 has only `headers`, joined with ", ".
  const answer = await handleWebhook({ headers: multiValueHeaders ?? headers, body: raw }, deps);
  return json(answer.status, answer.body);
}
