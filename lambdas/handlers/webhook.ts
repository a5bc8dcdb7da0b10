// Lambda entry for the git push webhook: API Gateway HTTP API (payload 2.0) or a Function URL.
import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { decodeServiceRegistry, readFunctionEnv } from '../adapters/aws/functionEnvironment.ts';
import { createGitHubSpecReader } from '../adapters/aws/webhook/gitHubSpecReader.ts';
import { createCachedSecretReader } from '../adapters/aws/webhook/secretReader.ts';
import { createSfnStarter } from '../adapters/aws/webhook/sfnStarter.ts';
import { handleWebhook } from '../core/webhook/handleWebhook.ts';
import { resolveLimits } from '../core/webhook/limits.ts';
import { registeredSpecLoader } from '../core/webhook/registeredServices.ts';
import { createMemoryReplayGuard } from '../core/webhook/replayGuard.ts';
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

const logger = new Logger({ serviceName: 'vouch-webhook' });
const secrets = new SecretsManagerClient({});
const sfn = new SFNClient({});

const deps: WebhookDeps = {
  secret: createCachedSecretReader({ client: secrets, secretId: webhookSecretName }),
  loadSpec: registeredSpecLoader(
    services,
    specLoaderFrom(
      createGitHubSpecReader({
        token: createCachedSecretReader({ client: secrets, secretId: gitTokenSecretName }),
      }),
    ),
  ),
  starter: createSfnStarter({ client: sfn, stateMachineFor: (pipe) => stateMachines[pipe] }),
  logger,
  // Per container only: catches a replayed body under a new delivery id while this container is warm.
  replayGuard: createMemoryReplayGuard(),
};
const { maxBodyBytes } = resolveLimits(deps.limits);

const httpEvent = z.object({
  headers: z.record(z.string(), z.string()).optional(),
  body: z.string().optional(),
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
  const { headers = {}, body = '', isBase64Encoded = false, requestContext } = parsed.data;
  const method = requestContext?.http?.method;
  if (method !== undefined && method !== 'POST')
    return json(405, { outcome: 'rejected', reason: 'only POST is accepted' });
  // Refuse before decoding: a string has at least as many UTF-8 bytes as characters, and 4 base64
  // characters carry 3 bytes (up to 2 of padding). handleWebhook checks the exact size.
  const atLeastBytes = isBase64Encoded ? Math.floor((body.length * 3) / 4) - 2 : body.length;
  if (atLeastBytes > maxBodyBytes) {
    return json(413, { outcome: 'rejected', reason: `body is over the limit of ${maxBodyBytes} bytes` });
  }
  const raw = isBase64Encoded ? Buffer.from(body, 'base64') : body;
  const answer = await handleWebhook({ headers, body: raw }, deps);
  return json(answer.status, answer.body);
}
