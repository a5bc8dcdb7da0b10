// The cases of issue 15 at the core handler: a signed body is read in the endpoint's configured
// format only, repeated headers are seen in the joined form Node and API Gateway deliver, and one push
// starts one run however many deliveries carry it.
import { describe, expect, it } from 'vitest';
import { createMemoryDeliveryLedger, STALE_CLAIM_MS } from '../../../lambdas/core/webhook/deliveryLedger.ts';
import { handleWebhook } from '../../../lambdas/core/webhook/handleWebhook.ts';
import {
  COMMIT,
  fakeDeps,
  PARENT,
  pushBody,
  REPO,
  SPEC,
  signedPush,
  smuggledFormBody,
  specTable,
} from './fixtures.ts';

const OTHER_COMMIT = 'c'.repeat(40);

describe('case 1: the endpoint, not Content-Type, decides how signed bytes are read', () => {
  it('refuses a signed JSON body re-sent as form-encoded (415) and starts nothing', async () => {
    // Prepare: acme/billing is a registered service; the signed JSON is a feature-branch push.
    const { deps, starter } = fakeDeps({ loadSpec: specTable({ [REPO]: SPEC, 'acme/billing': SPEC }) });
    const signed = await signedPush(smuggledFormBody(), 'delivery-form-1');

    // Act
    const asJson = await handleWebhook(signed, deps);
    const asForm = await handleWebhook(
      {
        headers: { ...signed.headers, 'content-type': 'application/x-www-form-urlencoded' },
        body: signed.body,
      },
      deps,
    );

    // Assess: as JSON it is the feature branch (ignored); as a form it is refused, not reinterpreted.
    expect(asJson.status).toBe(200);
    expect(asJson.body.outcome).toBe('ignored');
    expect(asForm).toEqual({
      status: 415,
      body: {
        outcome: 'rejected',
        reason:
          'this endpoint reads github deliveries as application/json, got application/x-www-form-urlencoded',
      },
    });
    expect(starter.calls).toEqual([]);
  });

  it('an endpoint configured for form refuses JSON the same way', async () => {
    const { deps, starter } = fakeDeps({ bodyFormats: { github: 'form' } });

    const res = await handleWebhook(await signedPush(pushBody(), 'delivery-form-2'), deps);

    expect(res.status).toBe(415);
    expect(starter.calls).toEqual([]);
  });
});

describe('case 5: repeated headers, as Node and API Gateway join them', () => {
  it.each([
    ['X-GitHub-Delivery', 'x-github-delivery', 'a, b', 'more than one x-github-delivery header'],
    [
      'Content-Type',
      'content-type',
      'application/json, application/json',
      'more than one Content-Type header',
    ],
    ['X-GitHub-Event', 'x-github-event', 'push, push', 'more than one event header'],
  ])('refuses two %s lines joined with ", " (400)', async (_name, header, joined, reason) => {
    const { deps, starter } = fakeDeps();
    const r = await signedPush(pushBody(), 'delivery-h');

    const res = await handleWebhook({ headers: { ...r.headers, [header]: joined }, body: r.body }, deps);

    expect(res).toEqual({ status: 400, body: { outcome: 'rejected', reason } });
    expect(starter.calls).toEqual([]);
  });

  it('refuses two GitLab Idempotency-Key lines joined as "a, b" instead of starting a new run', async () => {
    const { deps, starter } = fakeDeps({ loadSpec: specTable({ 'acme/shop': SPEC }) });
    const body = JSON.stringify({
      object_kind: 'push',
      ref: 'refs/heads/main',
      before: PARENT,
      after: COMMIT,
      project: { path_with_namespace: 'acme/shop', default_branch: 'main' },
    });
    const headers = (key: string) => ({
      'content-type': 'application/json',
      'x-gitlab-event': 'Push Hook',
      'x-gitlab-token': 'test-webhook-secret',
      'idempotency-key': key,
    });

    const first = await handleWebhook({ headers: headers('key-a'), body }, deps);
    const joined = await handleWebhook({ headers: headers('key-a, key-b'), body }, deps);

    expect(first.status).toBe(201);
    expect(joined).toEqual({
      status: 400,
      body: { outcome: 'rejected', reason: 'more than one idempotency-key header' },
    });
    expect(starter.calls).toHaveLength(1);
  });

  it("reads Node's rawHeaders, where a repeated line is kept even if req.headers dropped it", async () => {
    const { deps, starter } = fakeDeps();
    const r = await signedPush(pushBody(), 'delivery-raw');
    const rawHeaders = Object.entries(r.headers).flat();
    rawHeaders.push('X-GitHub-Delivery', 'delivery-other');

    const res = await handleWebhook({ headers: r.headers, rawHeaders, body: r.body }, deps);

    expect(res).toEqual({
      status: 400,
      body: { outcome: 'rejected', reason: 'more than one x-github-delivery header' },
    });
    expect(starter.calls).toEqual([]);
  });
});

describe('one run per push, one body per delivery id', () => {
  it('answers every delivery of a push with the run it started: 201 once, then 200 with that run', async () => {
    const { deps, starter } = fakeDeps();
    const body = pushBody();

    const answers = [];
    for (const id of ['d-1', 'd-2', 'd-1', 'd-3']) {
      answers.push(await handleWebhook(await signedPush(body, id), deps));
    }

    expect(answers.map((a) => a.status)).toEqual([201, 200, 200, 200]);
    expect(new Set(answers.map((a) => a.body.execution))).toEqual(new Set(['gh-d-1']));
    expect(starter.calls).toHaveLength(1);
  });

  it('refuses a delivery id reused for another body with 409', async () => {
    const { deps, starter } = fakeDeps();

    const first = await handleWebhook(await signedPush(pushBody(), 'd-1'), deps);
    const other = await handleWebhook(await signedPush(pushBody({ commit: OTHER_COMMIT }), 'd-1'), deps);

    expect(first.status).toBe(201);
    expect(other).toEqual({
      status: 409,
      body: {
        outcome: 'rejected',
        reason: 'delivery id d-1 was already used for another body; a delivery id names one body',
      },
    });
    expect(starter.calls).toHaveLength(1);
  });

  it('a failed start frees the push: the next delivery of it starts the run', async () => {
    const { deps, starter } = fakeDeps();
    let down = true;
    const flaky = {
      start: async (...args: Parameters<typeof starter.start>) => {
        if (down) throw new Error('connect ECONNREFUSED');
        return starter.start(...args);
      },
    };

    const failed = await handleWebhook(await signedPush(pushBody(), 'd-1'), { ...deps, starter: flaky });
    down = false;
    const next = await handleWebhook(await signedPush(pushBody(), 'd-2'), { ...deps, starter: flaky });

    expect(failed.status).toBe(503);
    expect(next.status).toBe(201);
    expect(next.body.execution).toBe('gh-d-2');
    expect(starter.calls).toHaveLength(1);
  });

  it("takes over a claim whose request died before starting, under the claim's run name", async () => {
    // Prepare: a ledger holding a claim for the push that never started (its request crashed).
    let now = 1_000_000;
    const ledger = createMemoryDeliveryLedger();
    const { deps, starter } = fakeDeps({ ledger, now: () => now });
    const push = { host: 'github' as const, repo: REPO, ref: 'refs/heads/main', after: COMMIT };
    await ledger.claimPush(
      push,
      { execution: 'gh-d-dead', delivery: 'd-dead', token: 't', claimedAt: now },
      now,
    );

    // Act: one delivery while the claim is fresh, one after it went stale.
    const fresh = await handleWebhook(await signedPush(pushBody(), 'd-2'), deps);
    now += STALE_CLAIM_MS + 1;
    const late = await handleWebhook(await signedPush(pushBody(), 'd-3'), deps);

    // Assess
    expect(fresh.status).toBe(200);
    expect(fresh.body.reason).toBe('this push is being started as gh-d-dead (delivery d-dead)');
    expect(late.status).toBe(201);
    expect(starter.calls.map((c) => c.name)).toEqual(['gh-d-dead']);
  });

  it('answers 503 when the ledger is down, starting nothing', async () => {
    const ledger = createMemoryDeliveryLedger();
    const { deps, starter } = fakeDeps({
      ledger: { ...ledger, recordDelivery: () => Promise.reject(new Error('ECONNREFUSED')) },
    });

    const res = await handleWebhook(await signedPush(pushBody(), 'd-1'), deps);

    expect(res).toEqual({
      status: 503,
      body: { outcome: 'unavailable', reason: 'could not check the delivery ledger; redeliver later' },
    });
    expect(starter.calls).toEqual([]);
  });
});
