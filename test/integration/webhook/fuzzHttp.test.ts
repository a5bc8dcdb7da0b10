import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLocalWebhookServer,
  type LocalWebhookServer,
} from '../../../lambdas/adapters/local/webhookServer.ts';
import { createMemoryDeliveryLedger } from '../../../lambdas/core/webhook/deliveryLedger.ts';
import type { WebhookRequest } from '../../../lambdas/core/webhook/types.ts';
import { countingStarter, recordingLogger, SECRET, SPEC } from '../../unit/webhook/fixtures.ts';
import { generateRequest, isAuthentic, MAX_BODY, seededRandom } from '../../unit/webhook/fuzzRequests.ts';

let server: LocalWebhookServer;
const starter = countingStarter();

beforeAll(async () => {
  server = await createLocalWebhookServer({
    deps: {
      secret: SECRET,
      loadSpec: async (repo) =>
        repo === 'acme/shop' ? { found: true, ...SPEC } : { found: false, reason: 'no spec' },
      starter,
      logger: recordingLogger(),
      ledger: createMemoryDeliveryLedger(),
      limits: { maxBodyBytes: MAX_BODY },
    },
  });
});

afterAll(() => server.close());

/** Sends one request; undefined when node's client itself refuses the headers (e.g. a NUL in a value). */
function post(req: WebhookRequest): Promise<{ status: number } | { error: string } | undefined> {
  return new Promise((resolve) => {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined) headers[k] = typeof v === 'string' ? v : [...v];
    let client: ReturnType<typeof request>;
    try {
      client = request(server.url, { method: 'POST', headers }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
      });
    } catch {
      resolve(undefined);
      return;
    }
    client.on('error', (e) => resolve({ error: e.message }));
    client.end(Buffer.from(req.body));
  });
}

describe('webhook fuzz (loopback HTTP server)', () => {
  it('answers 800 mutated requests over HTTP without a 5xx or a run started by an unauthenticated request', async () => {
    const random = seededRandom(0xbeef);
    const results: { status?: number; error?: string; authentic: boolean; started: number }[] = [];

    // Sequential on purpose: each starter call is attributed to the request that caused it.
    for (let i = 0; i < 800; i++) {
      const req = generateRequest(random);
      const before = starter.calls.length;
      const res = await post(req);
      if (res === undefined) continue;
      results.push({ ...res, authentic: isAuthentic(req), started: starter.calls.length - before });
    }

    const answered = results.filter((r) => r.status !== undefined);
    expect(answered.length).toBeGreaterThan(600);
    expect(answered.filter((r) => (r.status ?? 0) >= 500)).toEqual([]);
    expect(results.filter((r) => r.started > 0 && !r.authentic)).toEqual([]);
    // Transport errors only where the server cut an oversized upload short.
    expect(
      results.filter((r) => r.error !== undefined && !/EPIPE|ECONNRESET|socket hang up/.test(r.error)),
    ).toEqual([]);
    expect(answered.filter((r) => r.status === 201).length).toBeGreaterThan(20);
  });
});
