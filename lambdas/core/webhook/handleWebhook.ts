import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { verify } from '@octokit/webhooks-methods';
import type { RunInput } from '../pipeline/contract.ts';
import { bodyDigest, type PushClaim, type PushIdentity, STALE_CLAIM_MS } from './deliveryLedger.ts';
import {
  DeliveryLedgerError,
  ExecutionStartError,
  SpecReadError,
  UnknownCommitError,
  WebhookSecretError,
} from './errors.ts';
import { executionNameFor, type GitHost } from './executionName.ts';
import { jsonDepthExceeds, resolveLimits } from './limits.ts';
import { COMMIT_SHA, type PushEvent, REPO_NAME, readPushEvent } from './pushEvent.ts';
import type {
  SecretSource,
  WebhookDeps,
  WebhookHeaders,
  WebhookOutcome,
  WebhookRequest,
  WebhookResponse,
} from './types.ts';

/**
 * Answers one git-host delivery. Status table (README "Webhooks"):
 *  201 started a pipeline run · 200 redelivery (existing run), ping, or a push that starts nothing
 *  (other branch, deletion, tag, no `.vouch.yml`) · 202 another event type, acknowledged and ignored
 *  400 malformed request (also a repeated single header) · 401 signature/token missing or wrong
 *  409 a delivery id already used for another body · 413 body too large · 415 not the body format the
 *  endpoint is configured for · 422 not a usable push or spec, or a commit the repository lacks
 *  503 our own dependency (secret store, ledger, git host, Step Functions) failed: redeliver later.
 * Every delivery of one push (host, repository, ref, after) answers with the one run it started: 201
 * only to the request that started it, 200 `existing` to every other, under any delivery id.
 * Authentication runs before the body is parsed, so nothing unauthenticated reaches the JSON parser.
 */
export async function handleWebhook(request: WebhookRequest, deps: WebhookDeps): Promise<WebhookResponse> {
  try {
    return await answer(request, deps);
  } catch (error) {
    if (
      error instanceof WebhookSecretError ||
      error instanceof SpecReadError ||
      error instanceof ExecutionStartError ||
      error instanceof DeliveryLedgerError
    ) {
      deps.logger.error('webhook dependency failed', { error: describe(error) });
      return reply(503, 'unavailable', `${error.message}; redeliver later`);
    }
    // A bug on our side, never the sender's input: the fuzz test holds this path unreachable.
    deps.logger.error('webhook handler failed', { error: describe(error) });
    return reply(500, 'unavailable', 'internal error');
  }
}

async function answer(request: WebhookRequest, deps: WebhookDeps): Promise<WebhookResponse> {
  const limits = resolveLimits(deps.limits);
  const headers =
    request.rawHeaders === undefined ? normalizeHeaders(request.headers) : rawHeaderMap(request.rawHeaders);
  const size =
    typeof request.body === 'string' ? Buffer.byteLength(request.body, 'utf8') : request.body.length;
  if (size > limits.maxBodyBytes) {
    return reject(deps, 413, `body is ${size} bytes; the limit is ${limits.maxBodyBytes}`);
  }

  const host = detectHost(headers);
  if (!host.ok) return reject(deps, 400, host.reason);

  // The endpoint's configuration decides how the signed bytes are read; the header only has to agree.
  const format = (host.host === 'github' ? deps.bodyFormats?.github : deps.bodyFormats?.gitlab) ?? 'json';
  const expected = format === 'form' ? 'application/x-www-form-urlencoded' : 'application/json';
  const mediaType = headerValue(headers, 'content-type');
  if (mediaType === DUPLICATE) return reject(deps, 400, 'more than one Content-Type header');
  const media = mediaType?.split(';')[0]?.trim().toLowerCase();
  if (media !== expected) {
    return reject(
      deps,
      415,
      `this endpoint reads ${host.host} deliveries as ${expected}, got ${clip(media ?? 'none')}`,
    );
  }
  if (size === 0) return reject(deps, 400, 'empty body');

  const text = decodeUtf8(request.body);
  if (text === undefined) return reject(deps, 400, 'body is not valid UTF-8');

  const auth =
    host.host === 'github'
      ? await authenticateGitHub(headers, text, deps.secret)
      : await authenticateGitLab(headers, deps.secret);
  if (!auth.ok) return reject(deps, 401, auth.reason);

  const event = host.event;
  if (host.host === 'github') {
    if (event === 'ping') return reply(200, 'pong', 'pong: the webhook secret matches');
    if (event !== 'push') return reply(202, 'ignored', `event ${clip(event)} is not handled`);
  } else if (event !== 'Push Hook') {
    const why =
      event === 'Tag Push Hook' ? 'tag pushes do not start pipelines' : `event ${clip(event)} is not handled`;
    return reply(202, 'ignored', why);
  }

  const delivery = deliveryId(host.host, headers);
  if (!delivery.ok) return reject(deps, 400, delivery.reason);

  let json = text;
  if (format === 'form') {
    const field = new URLSearchParams(text).get('payload');
    if (field === null) return reject(deps, 400, 'form body without a payload field');
    json = field;
  }
  if (jsonDepthExceeds(json, limits.maxJsonDepth)) {
    return reject(deps, 400, `JSON nested deeper than ${limits.maxJsonDepth} levels`);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(json);
  } catch (error) {
    return reject(
      deps,
      400,
      `malformed JSON: ${clip(error instanceof Error ? error.message : String(error))}`,
    );
  }

  const parsed = readPushEvent(host.host, payload);
  if (!parsed.ok) return reject(deps, 422, parsed.reason);
  return startForPush(host.host, delivery.id, bodyDigest(request.body), parsed.push, deps);
}

async function startForPush(
  host: GitHost,
  deliveryId: string,
  digest: string,
  push: PushEvent,
  deps: WebhookDeps,
) {
  const log = { host, delivery: deliveryId, repo: push.repo, ref: push.ref, commit: push.after };
  if (push.ref.startsWith('refs/tags/')) return ignored(deps, 'tag pushes do not start pipelines', log);
  if (!push.ref.startsWith('refs/heads/')) return ignored(deps, `ref ${clip(push.ref)} is not a branch`, log);
  if (push.deleted) return ignored(deps, 'branch deletions do not start pipelines', log);
  if (!COMMIT_SHA.test(push.after)) return reject(deps, 422, 'after is not a commit SHA');
  if (!REPO_NAME.test(push.repo)) return reject(deps, 422, `repository name ${clip(push.repo)} is not valid`);
  const branch = push.ref.slice('refs/heads/'.length);

  let spec: Awaited<ReturnType<WebhookDeps['loadSpec']>>;
  try {
    spec = await deps.loadSpec(push.repo, push.after, host);
  } catch (error) {
    if (error instanceof UnknownCommitError) return reject(deps, 422, clip(error.message, 200));
    throw error instanceof SpecReadError
      ? error
      : new SpecReadError(`could not read .vouch.yml of ${push.repo}`, { cause: error });
  }
  if (!spec.found) {
    if (spec.invalid === true)
      return reject(deps, 422, `.vouch.yml at ${push.after}: ${clip(spec.reason, 200)}`);
    return ignored(deps, clip(spec.reason, 200), log);
  }
  const trunk = spec.trunk ?? push.defaultBranch ?? 'main';
  if (branch !== trunk) {
    return ignored(deps, `push to ${clip(branch)}; only ${trunk} starts the pipe of ${spec.service}`, log);
  }

  const now = deps.now ?? Date.now;
  const identity: PushIdentity = { host, repo: push.repo, ref: push.ref, after: push.after };
  const own = executionNameFor(host, deliveryId);
  let owner: PushClaim;
  const mine: PushClaim = { execution: own, delivery: deliveryId, token: randomUUID(), claimedAt: now() };
  try {
    const seen = await deps.ledger.recordDelivery(host, deliveryId, digest, now());
    if (seen === 'conflict') {
      return reject(
        deps,
        409,
        `delivery id ${clip(deliveryId)} was already used for another body; a delivery id names one body`,
      );
    }
    owner = await deps.ledger.claimPush(identity, mine, now());
    // A claim that never started and whose request is long gone: take it over, keeping its run name
    // so the push still has at most one run.
    if (
      owner.token !== mine.token &&
      owner.executionArn === undefined &&
      now() - owner.claimedAt > STALE_CLAIM_MS
    ) {
      const takeover: PushClaim = { ...mine, execution: owner.execution, delivery: owner.delivery };
      if (await deps.ledger.takeOver(identity, owner.token, takeover, now())) owner = takeover;
    }
  } catch (error) {
    throw error instanceof DeliveryLedgerError
      ? error
      : new DeliveryLedgerError('could not check the delivery ledger', { cause: error });
  }

  if (owner.token !== mine.token) {
    // Another request owns this push: a redelivery, a replay under a new id, or a second webhook.
    deps.logger.info('webhook push already owned', { ...log, execution: owner.execution });
    const why =
      owner.executionArn === undefined
        ? `this push is being started as ${owner.execution} (delivery ${clip(owner.delivery)})`
        : `this push already started ${owner.execution} (delivery ${clip(owner.delivery)})`;
    return reply(200, 'existing', why, owner.execution, owner.executionArn);
  }

  const execution = owner.execution;
  const input: RunInput = {
    service: spec.service,
    team: spec.team,
    solution: spec.solution,
    repo: push.repo,
    commit: push.after,
    branch,
    execution,
    pipe: spec.pipe,
    config: spec.config,
    ...(push.hotfix ? { hotfix: true } : {}),
  };
  let started: Awaited<ReturnType<WebhookDeps['starter']['start']>>;
  try {
    started = await deps.starter.start(execution, input);
  } catch (error) {
    // Free the push, so the next delivery of it (a redelivery) starts it; if this fails too, the
    // claim goes stale and is taken over after STALE_CLAIM_MS.
    await deps.ledger.release(identity, mine.token).catch((releaseError: unknown) => {
      deps.logger.error('webhook could not release a push claim', { ...log, error: describe(releaseError) });
    });
    throw error instanceof ExecutionStartError
      ? error
      : new ExecutionStartError('could not start the pipeline', { cause: error });
  }
  await deps.ledger.markStarted(identity, mine.token, started.executionArn).catch((markError: unknown) => {
    // The run exists; an unmarked claim only means a late delivery answers "being started".
    deps.logger.error('webhook could not mark a push started', { ...log, error: describe(markError) });
  });
  if (started.alreadyExisted) {
    deps.logger.info('webhook redelivery: run exists', { ...log, execution });
    return reply(200, 'existing', 'this delivery already started a run', execution, started.executionArn);
  }
  deps.logger.info('webhook started a run', { ...log, execution, serviceName: spec.service });
  return reply(201, 'started', `started ${spec.pipe} for ${spec.service}`, execution, started.executionArn);
}

// --- authentication -------------------------------------------------------------------------------

type Check = { ok: true } | { ok: false; reason: string };
const SIGNATURE_256 = /^sha256=[0-9a-f]{64}$/;

async function authenticateGitHub(headers: Headers, text: string, secret: SecretSource): Promise<Check> {
  const signature = headerValue(headers, 'x-hub-signature-256');
  if (signature === DUPLICATE) return { ok: false, reason: 'more than one X-Hub-Signature-256 header' };
  if (signature === undefined) {
    return headers.has('x-hub-signature')
      ? { ok: false, reason: 'only X-Hub-Signature (SHA-1) sent; X-Hub-Signature-256 is required' }
      : { ok: false, reason: 'missing X-Hub-Signature-256' };
  }
  // The library compares in constant time but only equal lengths; a malformed header is refused first.
  if (!SIGNATURE_256.test(signature)) return { ok: false, reason: 'malformed X-Hub-Signature-256' };
  const valid = await verify(await readSecret(secret), text, signature);
  return valid ? { ok: true } : { ok: false, reason: 'signature does not match the body' };
}

async function authenticateGitLab(headers: Headers, secret: SecretSource): Promise<Check> {
  const token = headerValue(headers, 'x-gitlab-token');
  if (token === DUPLICATE) return { ok: false, reason: 'more than one X-Gitlab-Token header' };
  if (token === undefined) return { ok: false, reason: 'missing X-Gitlab-Token' };
  // Comparing digests gives equal lengths, so timingSafeEqual leaks neither content nor length.
  const expected = createHash('sha256')
    .update(await readSecret(secret), 'utf8')
    .digest();
  const given = createHash('sha256').update(token, 'utf8').digest();
  return timingSafeEqual(expected, given)
    ? { ok: true }
    : { ok: false, reason: 'X-Gitlab-Token does not match' };
}

async function readSecret(source: SecretSource): Promise<string> {
  let value: string;
  try {
    value = typeof source === 'string' ? source : await source();
  } catch (error) {
    throw error instanceof WebhookSecretError
      ? error
      : new WebhookSecretError('could not read the webhook secret', { cause: error });
  }
  if (value === '') throw new WebhookSecretError('the webhook secret is empty');
  return value;
}

// --- request plumbing ------------------------------------------------------------------------------

const DUPLICATE = Symbol('duplicate header');
type Headers = Map<string, string | typeof DUPLICATE>;

function normalizeHeaders(raw: WebhookHeaders): Headers {
  const headers: Headers = new Map();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    if (headers.has(key)) headers.set(key, DUPLICATE);
    else if (typeof value === 'string') headers.set(key, value);
    else headers.set(key, value.length === 1 && typeof value[0] === 'string' ? value[0] : DUPLICATE);
  }
  return headers;
}

/** Node's rawHeaders: every line as sent, so a repeated header is seen even where Node joined or dropped it. */
function rawHeaderMap(raw: readonly string[]): Headers {
  const headers: Headers = new Map();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key = (raw[i] as string).toLowerCase();
    headers.set(key, headers.has(key) ? DUPLICATE : (raw[i + 1] as string));
  }
  return headers;
}

/**
 * Headers that must come once. Node's `req.headers` and API Gateway's payload 2.0 join repeated lines
 * with ", ", so a comma in one of these (none of which legitimately holds one: event names, GUIDs,
 * hex signatures, a media type without quoted parameters) means the header was sent more than once.
 * (X-Gitlab-Token is compared whole, so a joined pair never matches the secret.)
 */
const SINGLE = new Set([
  'content-type',
  'x-github-event',
  'x-github-delivery',
  'x-hub-signature-256',
  'x-hub-signature',
  'x-gitlab-event',
  'idempotency-key',
  'x-gitlab-event-uuid',
]);

function headerValue(headers: Headers, name: string): string | undefined | typeof DUPLICATE {
  const value = headers.get(name);
  if (typeof value === 'string' && SINGLE.has(name) && value.includes(',')) return DUPLICATE;
  return value;
}

type HostCheck = { ok: true; host: GitHost; event: string } | { ok: false; reason: string };

function detectHost(headers: Headers): HostCheck {
  const github = headerValue(headers, 'x-github-event');
  const gitlab = headerValue(headers, 'x-gitlab-event');
  if (github === DUPLICATE || gitlab === DUPLICATE)
    return { ok: false, reason: 'more than one event header' };
  if (github !== undefined && gitlab !== undefined) {
    return { ok: false, reason: 'both X-GitHub-Event and X-Gitlab-Event sent' };
  }
  if (github !== undefined) return { ok: true, host: 'github', event: github };
  if (gitlab !== undefined) return { ok: true, host: 'gitlab', event: gitlab };
  return {
    ok: false,
    reason: 'not a GitHub or GitLab delivery: X-GitHub-Event or X-Gitlab-Event is missing',
  };
}

const MAX_DELIVERY_ID = 200;

/**
 * GitHub keeps X-GitHub-Delivery on a redelivery. GitLab keeps Idempotency-Key across retries
 * (GitLab 17.4+); older GitLab only sends X-Gitlab-Event-UUID, which we fall back to.
 */
function deliveryId(
  host: GitHost,
  headers: Headers,
): { ok: true; id: string } | { ok: false; reason: string } {
  const names = host === 'github' ? ['x-github-delivery'] : ['idempotency-key', 'x-gitlab-event-uuid'];
  for (const name of names) {
    const value = headerValue(headers, name);
    if (value === DUPLICATE) return { ok: false, reason: `more than one ${name} header` };
    if (value === undefined) continue;
    const id = value.trim();
    if (id === '' || id.length > MAX_DELIVERY_ID) {
      return { ok: false, reason: `${name} must be 1-${MAX_DELIVERY_ID} characters` };
    }
    return { ok: true, id };
  }
  return { ok: false, reason: `missing delivery id (${names.join(' or ')})` };
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The HMAC covers the raw bytes; only valid UTF-8 round-trips to the same bytes as a string. */
function decodeUtf8(body: string | Uint8Array): string | undefined {
  if (typeof body === 'string') return body;
  try {
    return utf8.decode(body);
  } catch {
    return undefined;
  }
}

function reply(
  status: number,
  outcome: WebhookOutcome,
  reason: string,
  execution?: string,
  executionArn?: string,
): WebhookResponse {
  const body = execution === undefined ? { outcome, reason } : { outcome, reason, execution, executionArn };
  return { status, body };
}

function reject(deps: WebhookDeps, status: number, reason: string): WebhookResponse {
  deps.logger.warn('webhook rejected', { status, reason });
  return reply(status, 'rejected', reason);
}

function ignored(deps: WebhookDeps, reason: string, log: Record<string, unknown>): WebhookResponse {
  deps.logger.info('webhook push ignored', { ...log, reason });
  return reply(200, 'ignored', reason);
}

/** Echoes of sender-controlled text stay short and printable. */
function clip(text: string, max = 80): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point.
  const printable = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return printable.length > max ? `${printable.slice(0, max - 3)}...` : printable;
}

function describe(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  return {
    name: error.name,
    message: error.message,
    cause: error.cause instanceof Error ? error.cause.message : undefined,
  };
}
