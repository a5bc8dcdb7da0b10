import { describe, expect, it } from 'vitest';
import { createMemoryDeliveryLedger } from '../../../lambdas/core/webhook/deliveryLedger.ts';
import { handleWebhook } from '../../../lambdas/core/webhook/handleWebhook.ts';
import { countingStarter, recordingLogger, SECRET, SPEC } from './fixtures.ts';
import { generateRequest, isAuthentic, MAX_BODY, seededRandom } from './fuzzRequests.ts';

const DOCUMENTED = new Set([200, 201, 202, 400, 401, 409, 413, 415, 422]);

describe('webhook fuzz (core handler)', () => {
  it('answers 12,000 generated and mutated requests with a documented 4xx/2xx, never starting an unauthenticated run', async () => {
    // Prepare
    const random = seededRandom(0x5eed);
    const starter = countingStarter();
    const deps = {
      secret: SECRET,
      // Known repo: a spec; others: none. Bad input must not turn into a dependency failure.
      loadSpec: async (repo: string) =>
        repo === 'acme/shop'
          ? { found: true as const, ...SPEC }
          : { found: false as const, reason: 'no spec' },
      starter,
      logger: recordingLogger(),
      ledger: createMemoryDeliveryLedger(),
      limits: { maxBodyBytes: MAX_BODY },
    };
    const statuses = new Map<number, number>();
    const pushes = new Set<string>();
    const violations: string[] = [];

    // Act
    for (let i = 0; i < 12_000; i++) {
      const request = generateRequest(random);
      const before = starter.calls.length;
      const res = await handleWebhook(request, deps);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const started = starter.calls.length - before;
      if (!DOCUMENTED.has(res.status)) violations.push(`#${i}: status ${res.status} ${res.body.reason}`);
      if (typeof res.body.reason !== 'string' || res.body.reason === '') violations.push(`#${i}: no reason`);
      if (started > 0 && !isAuthentic(request))
        violations.push(`#${i}: started a run without a valid signature`);
      if (started > 1) violations.push(`#${i}: started ${started} runs`);
      if (started === 1) {
        // The run is the push the signed bytes say as JSON, never another reading of them (case 1),
        // from a request whose single headers came once (case 5), and the push's first run (replays).
        const input = starter.calls.at(-1)?.input;
        const text = Buffer.from(request.body).toString('utf8');
        const asJson = (() => {
          try {
            return JSON.parse(text) as { after?: unknown };
          } catch {
            return undefined;
          }
        })();
        if (asJson?.after !== input?.commit)
          violations.push(`#${i}: started ${input?.commit}, body says ${String(asJson?.after)}`);
        const header = (name: string) =>
          Object.entries(request.headers).find(([k]) => k.toLowerCase() === name)?.[1];
        const gitLab = header('x-gitlab-event') !== undefined;
        const id = gitLab
          ? (header('idempotency-key') ?? header('x-gitlab-event-uuid'))
          : header('x-github-delivery');
        if (typeof id === 'string' && id.includes(','))
          violations.push(`#${i}: started from a joined delivery id ${id}`);
        const push = `${gitLab ? 'gitlab' : 'github'}#${input?.repo}#${input?.branch}#${input?.commit}`;
        if (pushes.has(push)) violations.push(`#${i}: a second run for ${push}`);
        pushes.add(push);
      }
    }

    // Assess: no violation, and the generator reached every branch that matters.
    expect(violations.slice(0, 10)).toEqual([]);
    for (const status of [200, 201, 202, 400, 401, 409, 413, 415, 422]) {
      expect(statuses.get(status) ?? 0, `status ${status} reached`).toBeGreaterThan(20);
    }
    expect(starter.calls.length).toBeGreaterThan(500);
  });
});
