import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { WebhookSecretError } from '../../../core/webhook/errors.ts';

export interface CachedSecretOptions {
  readonly client: SecretsManagerClient;
  /** Secret name or ARN. */
  readonly secretId: string;
  /** How long a read value is reused, so a rotation reaches warm containers. @default 300_000 (5 min) */
  readonly ttlMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * A secret string from Secrets Manager, read once per `ttlMs` per container, with concurrent
 * first reads sharing one call. A failed read is not cached: the next request retries.
 */
export function createCachedSecretReader(options: CachedSecretOptions): () => Promise<string> {
  const ttlMs = options.ttlMs ?? 300_000;
  const now = options.now ?? Date.now;
  let cached: { value: string; readAt: number } | undefined;
  let pending: Promise<string> | undefined;

  const read = async (): Promise<string> => {
    let secret: string | undefined;
    try {
      const out = await options.client.send(new GetSecretValueCommand({ SecretId: options.secretId }));
      secret = out.SecretString;
    } catch (error) {
      const why = error instanceof ResourceNotFoundException ? 'does not exist' : 'could not be read';
      throw new WebhookSecretError(`secret ${options.secretId} ${why}`, { cause: error });
    }
    if (secret === undefined || secret === '') {
      throw new WebhookSecretError(`secret ${options.secretId} has no SecretString value`);
    }
    cached = { value: secret, readAt: now() };
    return secret;
  };

  return async () => {
    if (cached !== undefined && now() - cached.readAt < ttlMs) return cached.value;
    pending ??= read().finally(() => {
      pending = undefined;
    });
    return pending;
  };
}
