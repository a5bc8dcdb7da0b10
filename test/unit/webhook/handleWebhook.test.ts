import { describe, expect, it } from 'vitest';
import { handleWebhook } from '../../../lambdas/core/webhook/handleWebhook.ts';
import {
  COMMIT,
  fakeDeps,
  PARENT,
  pushBody,
  REPO,
  SECRET,
  SPEC,
  sign,
  signedPush,
  specTable,
} from './fixtures.ts';

describe('GitHub signature', () => {
  it('verifies GitHub\'s documented example (secret "It\'s a Secret to Everybody", "Hello, World!")', async () => {
    // Prepare: the pair from GitHub's "Validating webhook deliveries" page.
    const expected = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    const { deps, starter } = fakeDeps({ secret: "It's a Secret to Everybody" });
    const headers = {
      'content-type': 'application/json',
      'x-github-event': 'ping',
      'x-hub-signature-256': expected,
    };

    // Act
    const signed = await sign("It's a Secret to Everybody", 'Hello, World!');
    const accepted = await handleWebhook({ headers, body: 'Hello, World!' }, deps);
    const tampered = await handleWebhook({ headers, body: 'Hello, World?' }, deps);

    // Assess
    expect(signed).toBe(expected);
    expect(accepted).toEqual({
      status: 200,
      body: { outcome: 'pong', reason: 'pong: the webhook secret matches' },
    });
    expect(tampered.status).toBe(401);
    expect(starter.calls).toHaveLength(0);
  });

  it('starts one run for a signed trunk push, with the RunInput from the spec and the push', async () => {
    const { deps, starter } = fakeDeps();
    const request = await signedPush();

    const res = await handleWebhook(request, deps);

    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      outcome: 'started',
      execution: 'gh-72d3162e-cc78-11e3-81ab-4c9367dc0958',
    });
    expect(starter.calls).toEqual([
      {
        name: 'gh-72d3162e-cc78-11e3-81ab-4c9367dc0958',
        input: {
          ...SPEC,
          repo: REPO,
          commit: COMMIT,
          branch: 'main',
          execution: 'gh-72d3162e-cc78-11e3-81ab-4c9367dc0958',
        },
      },
    ]);
  });

  it.each([
    [
      'a tampered body',
      async () => {
        const r = await signedPush();
        return { headers: r.headers, body: r.body.replace(COMMIT, 'c'.repeat(40)) };
      },
      401,
      'signature does not match the body',
    ],
    [
      'a wrong secret',
      async () => signedPush(pushBody(), 'd-1', 'not-the-secret'),
      401,
      'signature does not match the body',
    ],
    [
      'a missing signature header',
      async () => {
        const r = await signedPush();
        const { 'x-hub-signature-256': _, ...headers } = r.headers;
        return { headers, body: r.body };
      },
      401,
      'missing X-Hub-Signature-256',
    ],
    [
      'a sha1-only header',
      async () => {
        const r = await signedPush();
        const { 'x-hub-signature-256': _, ...headers } = r.headers;
        return {
          headers: { ...headers, 'x-hub-signature': 'sha1=0123456789abcdef0123456789abcdef01234567' },
          body: r.body,
        };
      },
      401,
      'only X-Hub-Signature (SHA-1) sent; X-Hub-Signature-256 is required',
    ],
    [
      'an upper-case hex signature',
      async () => {
        const r = await signedPush();
        return {
          headers: {
            ...r.headers,
            'x-hub-signature-256': r.headers['x-hub-signature-256']?.toUpperCase() ?? '',
          },
          body: r.body,
        };
      },
      401,
      'malformed X-Hub-Signature-256',
    ],
  ])('refuses %s with 401 and starts nothing', async (_name, make, status, reason) => {
    const { deps, starter } = fakeDeps();

    const res = await handleWebhook(await make(), deps);

    expect(res).toEqual({ status, body: { outcome: 'rejected', reason } });
    expect(starter.calls).toHaveLength(0);
  });
});

describe('pushes that start nothing', () => {
  it('answers the same delivery twice with one run: 201 then 200 with the existing execution', async () => {
    const { deps, starter } = fakeDeps();
    const request = await signedPush();

    const first = await handleWebhook(request, deps);
    const second = await handleWebhook(request, deps);

    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ outcome: 'existing', execution: first.body.execution });
    expect(starter.runs.size).toBe(1);
  });

  it('ignores a push to a branch other than trunk (200, reason)', async () => {
    const { deps, starter } = fakeDeps();

    const res = await handleWebhook(
      await signedPush(pushBody({ branch: 'feature/x', defaultBranch: 'main' })),
      deps,
    );

    expect(res).toEqual({
      status: 200,
      body: { outcome: 'ignored', reason: 'push to feature/x; only main starts the pipe of shop' },
    });
    expect(starter.calls).toHaveLength(0);
  });

  it("takes trunk from the service's spec over the repository default branch", async () => {
    const { deps, starter } = fakeDeps({ loadSpec: specTable({ [REPO]: { ...SPEC, trunk: 'release' } }) });

    const onMain = await handleWebhook(await signedPush(pushBody({ branch: 'main' }), 'd-main'), deps);
    const onRelease = await handleWebhook(
      await signedPush(pushBody({ branch: 'release', defaultBranch: 'main' }), 'd-release'),
      deps,
    );

    expect(onMain.status).toBe(200);
    expect(onMain.body.outcome).toBe('ignored');
    expect(onRelease.status).toBe(201);
    expect(starter.calls.map((c) => c.input.branch)).toEqual(['release']);
  });

  it('ignores a branch deletion (deleted: true, after = null id) without reading the spec', async () => {
    const { deps, starter, loadSpec } = fakeDeps();
    const deletion = JSON.stringify({ ...JSON.parse(pushBody()), after: '0'.repeat(40), deleted: true });

    const res = await handleWebhook(await signedPush(deletion), deps);

    expect(res).toEqual({
      status: 200,
      body: { outcome: 'ignored', reason: 'branch deletions do not start pipelines' },
    });
    expect(starter.calls).toHaveLength(0);
    expect(loadSpec.calls).toBe(0);
  });

  it('ignores a tag push', async () => {
    const { deps, starter } = fakeDeps();
    const tag = JSON.stringify({ ...JSON.parse(pushBody()), ref: 'refs/tags/v1.0.0' });

    const res = await handleWebhook(await signedPush(tag), deps);

    expect(res).toEqual({
      status: 200,
      body: { outcome: 'ignored', reason: 'tag pushes do not start pipelines' },
    });
    expect(starter.calls).toHaveLength(0);
  });

  it('ignores a repo without .vouch.yml and logs why', async () => {
    const { deps, starter, logger } = fakeDeps({ loadSpec: specTable({}) });

    const res = await handleWebhook(await signedPush(), deps);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      outcome: 'ignored',
      reason: `${REPO} has no .vouch.yml`,
    });
    expect(starter.calls).toHaveLength(0);
    expect(logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'info',
        message: 'webhook push ignored',
        extra: expect.objectContaining({ repo: REPO }),
      }),
    );
  });

  it('refuses an unusable .vouch.yml with 422 and the reason', async () => {
    const { deps, starter } = fakeDeps({
      loadSpec: async () => ({ found: false, invalid: true, reason: 'team: Required' }),
    });

    const res = await handleWebhook(await signedPush(), deps);

    expect(res).toEqual({
      status: 422,
      body: { outcome: 'rejected', reason: `.vouch.yml at ${COMMIT}: team: Required` },
    });
    expect(starter.calls).toHaveLength(0);
  });

  it('acknowledges other events with 202 and starts nothing', async () => {
    const { deps, starter } = fakeDeps();
    const r = await signedPush('{"action":"opened"}');

    const res = await handleWebhook(
      { headers: { ...r.headers, 'x-github-event': 'issues' }, body: r.body },
      deps,
    );

    expect(res).toEqual({ status: 202, body: { outcome: 'ignored', reason: 'event issues is not handled' } });
    expect(starter.calls).toHaveLength(0);
  });
});

describe('limits and malformed requests', () => {
  it.each([
    ['malformed JSON', '{"ref": "refs/heads/main",', 400, /^malformed JSON: /],
    [
      'JSON deeper than the limit',
      `${'['.repeat(40)}${']'.repeat(40)}`,
      400,
      /^JSON nested deeper than 32 levels$/,
    ],
    ['JSON that is not a push', '{"ref": 42}', 422, /^not a push payload: ref: /],
    ['a non-SHA after', pushBody({ commit: 'HEAD' }), 422, /^after is not a commit SHA$/],
  ])('refuses validly signed %s with %i', async (_name, body, status, reason) => {
    const { deps, starter } = fakeDeps();

    const res = await handleWebhook(await signedPush(body), deps);

    expect(res.status).toBe(status);
    expect(res.body.reason).toMatch(reason);
    expect(starter.calls).toHaveLength(0);
  });

  it('refuses a body over the limit with 413 before checking anything else', async () => {
    const { deps, starter } = fakeDeps({ limits: { maxBodyBytes: 1024 } });
    const body = JSON.stringify({ ...JSON.parse(pushBody()), padding: 'x'.repeat(2000) });

    const res = await handleWebhook(await signedPush(body), deps);

    expect(res.status).toBe(413);
    expect(res.body.reason).toMatch(/^body is \d+ bytes; the limit is 1024$/);
    expect(starter.calls).toHaveLength(0);
  });

  it('refuses a content type other than JSON with 415', async () => {
    const { deps } = fakeDeps();
    const r = await signedPush();

    const res = await handleWebhook(
      { headers: { ...r.headers, 'content-type': 'text/plain' }, body: r.body },
      deps,
    );

    expect(res).toEqual({
      status: 415,
      body: {
        outcome: 'rejected',
        reason: 'this endpoint reads github deliveries as application/json, got text/plain',
      },
    });
  });

  it("accepts GitHub's form-encoded payload= delivery where the endpoint is configured for it", async () => {
    const { deps, starter } = fakeDeps({ bodyFormats: { github: 'form' } });
    const form = `payload=${encodeURIComponent(pushBody())}`;
    const r = await signedPush(form);

    const res = await handleWebhook(
      { headers: { ...r.headers, 'content-type': 'application/x-www-form-urlencoded' }, body: r.body },
      deps,
    );

    expect(res.status).toBe(201);
    expect(starter.calls).toHaveLength(1);
  });

  it('refuses a body that is not UTF-8 with 400', async () => {
    const { deps } = fakeDeps();
    const r = await signedPush();

    const res = await handleWebhook(
      { headers: r.headers, body: Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d]) },
      deps,
    );

    expect(res).toEqual({ status: 400, body: { outcome: 'rejected', reason: 'body is not valid UTF-8' } });
  });

  it('refuses a push without a delivery id with 400', async () => {
    const { deps, starter } = fakeDeps();
    const r = await signedPush();
    const { 'x-github-delivery': _, ...headers } = r.headers;

    const res = await handleWebhook({ headers, body: r.body }, deps);

    expect(res).toEqual({
      status: 400,
      body: { outcome: 'rejected', reason: 'missing delivery id (x-github-delivery)' },
    });
    expect(starter.calls).toHaveLength(0);
  });

  it('refuses a request from no known git host with 400', async () => {
    const { deps } = fakeDeps();

    const res = await handleWebhook({ headers: { 'content-type': 'application/json' }, body: '{}' }, deps);

    expect(res.status).toBe(400);
    expect(res.body.reason).toMatch(/X-GitHub-Event or X-Gitlab-Event is missing/);
  });

  it('refuses two signature headers with 401', async () => {
    const { deps } = fakeDeps();
    const r = await signedPush();
    const sig = r.headers['x-hub-signature-256'] ?? '';

    const res = await handleWebhook(
      { headers: { ...r.headers, 'x-hub-signature-256': [sig, sig] }, body: r.body },
      deps,
    );

    expect(res).toEqual({
      status: 401,
      body: { outcome: 'rejected', reason: 'more than one X-Hub-Signature-256 header' },
    });
  });
});

describe('replays and dependency failures', () => {
  it('answers a signed body replayed under a new delivery id with the run it started, starting nothing', async () => {
    const { deps, starter } = fakeDeps();
    const body = pushBody();

    const first = await handleWebhook(await signedPush(body, 'delivery-1'), deps);
    const again = await handleWebhook(await signedPush(body, 'delivery-1'), deps);
    const replay = await handleWebhook(await signedPush(body, 'forged-delivery-2'), deps);

    expect([first.status, again.status, replay.status]).toEqual([201, 200, 200]);
    expect(replay.body).toEqual({
      outcome: 'existing',
      reason: 'this push already started gh-delivery-1 (delivery delivery-1)',
      execution: 'gh-delivery-1',
      executionArn: 'local:execution:gh-delivery-1',
    });
    expect(again.body.execution).toBe('gh-delivery-1');
    expect(starter.calls).toHaveLength(1);
  });

  it('answers 503 when the starter is down, and a redelivery then starts the run', async () => {
    let down = true;
    const { deps, starter } = fakeDeps();
    const flaky = {
      start: async (...args: Parameters<typeof starter.start>) => {
        if (down) throw new Error('connect ECONNREFUSED');
        return starter.start(...args);
      },
    };
    const request = await signedPush();

    const failed = await handleWebhook(request, { ...deps, starter: flaky });
    down = false;
    const redelivered = await handleWebhook(request, { ...deps, starter: flaky });

    expect(failed).toEqual({
      status: 503,
      body: { outcome: 'unavailable', reason: 'could not start the pipeline; redeliver later' },
    });
    expect(redelivered.status).toBe(201);
    expect(starter.runs.size).toBe(1);
  });

  it('answers 503 when the spec cannot be read or the secret store is down', async () => {
    const { deps } = fakeDeps();
    const request = await signedPush();

    const specDown = await handleWebhook(request, {
      ...deps,
      loadSpec: () => Promise.reject(new Error('timeout')),
    });
    const secretDown = await handleWebhook(request, {
      ...deps,
      secret: () => Promise.reject(new Error('throttled')),
    });

    expect(specDown.status).toBe(503);
    expect(specDown.body.reason).toBe(`could not read .vouch.yml of ${REPO}; redeliver later`);
    expect(secretDown).toEqual({
      status: 503,
      body: { outcome: 'unavailable', reason: 'could not read the webhook secret; redeliver later' },
    });
  });
});

describe('GitLab push', () => {
  const gitLabPush = (after = COMMIT, ref = 'refs/heads/main') =>
    JSON.stringify({
      object_kind: 'push',
      ref,
      before: PARENT,
      after,
      checkout_sha: after,
      project: { path_with_namespace: 'acme/platform/shop', default_branch: 'main' },
    });
  const headers = (token: string, event = 'Push Hook') => ({
    'content-type': 'application/json',
    'x-gitlab-event': event,
    'x-gitlab-token': token,
    'idempotency-key': '908a6d9e-45fd-46c8-97e6-c4f350f219dd',
    'x-gitlab-event-uuid': 'e2e1a0c0-0000-4000-8000-000000000000',
  });

  it('starts one run for a push with the right token, once per idempotency key', async () => {
    const { deps, starter } = fakeDeps({ loadSpec: specTable({ 'acme/platform/shop': SPEC }) });

    const first = await handleWebhook({ headers: headers(SECRET), body: gitLabPush() }, deps);
    const retry = await handleWebhook({ headers: headers(SECRET), body: gitLabPush() }, deps);

    expect(first.status).toBe(201);
    expect(first.body.execution).toBe('gl-908a6d9e-45fd-46c8-97e6-c4f350f219dd');
    expect(retry.status).toBe(200);
    expect(starter.runs.size).toBe(1);
  });

  it.each([
    ['a wrong token', headers('wrong'), 401, 'X-Gitlab-Token does not match'],
    [
      'a token that is a prefix of the secret',
      headers(SECRET.slice(0, 5)),
      401,
      'X-Gitlab-Token does not match',
    ],
    [
      'no token',
      (() => {
        const { 'x-gitlab-token': _, ...h } = headers(SECRET);
        return h;
      })(),
      401,
      'missing X-Gitlab-Token',
    ],
    ['a tag push', headers(SECRET, 'Tag Push Hook'), 202, 'tag pushes do not start pipelines'],
  ])('answers %s with %i and starts nothing', async (_name, h, status, reason) => {
    const { deps, starter } = fakeDeps({ loadSpec: specTable({ 'acme/platform/shop': SPEC }) });

    const res = await handleWebhook({ headers: h, body: gitLabPush() }, deps);

    expect(res.status).toBe(status);
    expect(res.body.reason).toBe(reason);
    expect(starter.calls).toHaveLength(0);
  });

  it('ignores a branch deletion (after = null id)', async () => {
    const { deps, starter } = fakeDeps({ loadSpec: specTable({ 'acme/platform/shop': SPEC }) });

    const res = await handleWebhook({ headers: headers(SECRET), body: gitLabPush('0'.repeat(40)) }, deps);

    expect(res).toEqual({
      status: 200,
      body: { outcome: 'ignored', reason: 'branch deletions do not start pipelines' },
    });
    expect(starter.calls).toHaveLength(0);
  });
});
