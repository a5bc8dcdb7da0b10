import { describe, expect, it } from 'vitest';
import { handleWebhook } from '../../../lambdas/core/webhook/handleWebhook.ts';
import { fakeDeps, pushBody, signedPush } from './fixtures.ts';

describe('a hotfix push', () => {
  it.each([
    ['hotfix: stop the 500s on /orders', true],
    ['[hotfix] roll forward the connection pool fix', true],
    ['Hotfix! pool size', true],
    ['add hotfix documentation', false],
    ['ordinary change', false],
  ])('head commit "%s" -> hotfix %s', async (message, hotfix) => {
    const { deps, starter } = fakeDeps();
    const response = await handleWebhook(await signedPush(pushBody({ message })), deps);
    expect(response.status).toBe(201);
    expect(starter.calls).toHaveLength(1);
    expect(starter.calls[0]?.input.hotfix === true).toBe(hotfix);
  });
});
