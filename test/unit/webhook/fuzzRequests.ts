// Seeded generator of webhook requests: valid deliveries, then mutated headers, bodies, signatures,
// encodings, sizes and depth. Shared by the core fuzz test and the HTTP fuzz test.
import { createHmac } from 'node:crypto';
import { gitHubPushPayload } from '../../../lambdas/core/webhook/gitHubPush.ts';
import type { WebhookRequest } from '../../../lambdas/core/webhook/types.ts';
import { COMMIT, PARENT, REPO, SECRET } from './fixtures.ts';

export type Random = () => number;

export { seededRandom } from '../../../lambdas/core/shared/random.ts';

const int = (r: Random, n: number) => Math.floor(r() * n);
const pick = <T>(r: Random, items: readonly T[]): T => items[int(r, items.length)] as T;

export const MAX_BODY = 8 * 1024;

type Headers = Record<string, string | string[] | undefined>;
interface Draft {
  headers: Headers;
  body: string | Uint8Array;
}

const hmac = (secret: string, body: string | Uint8Array) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

function toBytes(body: string | Uint8Array): Uint8Array {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

/**
 * The oracle: is this request authentic? Computed over the raw bytes with node:crypto, independently
 * of the handler's decoding and of @octokit/webhooks-methods.
 */
export function isAuthentic(request: WebhookRequest): boolean {
  const values = (name: string) =>
    Object.entries(request.headers)
      .filter(([k, v]) => k.toLowerCase() === name && v !== undefined)
      .flatMap(([, v]) => (typeof v === 'string' ? [v] : [...(v ?? [])]));
  const signatures = values('x-hub-signature-256');
  const tokens = values('x-gitlab-token');
  const gitHubValid = signatures.length === 1 && signatures[0] === hmac(SECRET, toBytes(request.body));
  const gitLabValid = tokens.length === 1 && tokens[0] === SECRET;
  return gitHubValid || gitLabValid;
}

const refs = [
  'refs/heads/main',
  'refs/heads/feature/x',
  'refs/tags/v1',
  'refs/pull/1/head',
  '',
  'main',
  'refs/heads/',
];
const shas = [COMMIT, PARENT, '0'.repeat(40), 'HEAD', 'A'.repeat(40), 'a'.repeat(64), '', 'zz'];
const repos = [REPO, 'acme/other', 'no-slash', '../../etc/passwd', 'a/b/c', '', 'acme/shop\n'];
const weird = ['', ' ', '\u0000', 'é', '😀', 'x'.repeat(300), '../', '%00', '\u0024{x}', '\\', '"', 'null'];

/** A distinct commit per request, so valid pushes are new pushes, not replays. */
const freshSha = (r: Random) => Array.from({ length: 40 }, () => int(r, 16).toString(16)).join('');

function basePayload(r: Random): Record<string, unknown> {
  const p = gitHubPushPayload({ repo: REPO, branch: 'main', commit: freshSha(r), before: PARENT });
  if (r() < 0.5) return p;
  // Field-level mutations that a signed sender could still send.
  const m: Record<string, unknown> = { ...p };
  const field = pick(r, ['ref', 'after', 'before', 'repository', 'deleted', 'extra']);
  if (field === 'ref') m.ref = pick(r, [...refs, 42, null]);
  if (field === 'after') m.after = pick(r, [...shas, 7, null]);
  if (field === 'before') m.before = pick(r, [...shas, {}]);
  if (field === 'repository')
    m.repository = pick(r, [
      null,
      [],
      { full_name: pick(r, repos) },
      { full_name: 1 },
      { default_branch: 'main' },
    ]);
  if (field === 'deleted') m.deleted = pick(r, [true, 'true', 1, null]);
  if (field === 'extra') m[pick(r, weird)] = pick(r, weird);
  return m;
}

function gitLabPayload(r: Random): Record<string, unknown> {
  return {
    object_kind: r() < 0.9 ? 'push' : pick(r, ['tag_push', 'merge_request']),
    ref: r() < 0.7 ? 'refs/heads/main' : pick(r, refs),
    before: PARENT,
    after: r() < 0.8 ? freshSha(r) : pick(r, shas),
    project: { path_with_namespace: r() < 0.8 ? REPO : pick(r, repos), default_branch: 'main' },
  };
}

function deepJson(depth: number): string {
  return `${'{"a":['.repeat(depth)}1${']}'.repeat(depth)}`;
}

/** A fresh delivery id per request, so valid pushes start runs rather than find existing ones. */
let deliveries = 0;
/** Recent signed GitHub pushes, for replays under new or reused delivery ids. */
const recent: Draft[] = [];

/**
 * Issue 15's probe: a signed JSON feature-branch push whose commit message carries
 * `&payload=<a trunk push of acme/shop>`, sent as form-encoded. Read as a form, it would be that push.
 */
function smuggledForm(r: Random): Draft {
  const embedded = JSON.stringify(
    gitHubPushPayload({ repo: REPO, branch: 'main', commit: freshSha(r), before: PARENT }),
  );
  const body = JSON.stringify(
    gitHubPushPayload({
      repo: REPO,
      branch: 'feature/x',
      defaultBranch: 'main',
      commit: freshSha(r),
      before: PARENT,
      message: `x&payload=${encodeURIComponent(embedded)}&`,
    }),
  );
  return {
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-github-event': 'push',
      'x-github-delivery': `fz-${++deliveries}`,
      'x-hub-signature-256': hmac(SECRET, toBytes(body)),
    },
  };
}

export function generateRequest(r: Random): WebhookRequest {
  const kind = pick(r, [
    'push',
    'push',
    'push',
    'ping',
    'other',
    'gitlab',
    'gitlab',
    'form',
    'smuggle',
    'replay',
  ]);
  if (kind === 'smuggle') return smuggledForm(r);
  if (kind === 'replay' && recent.length > 0) {
    // The same signed bytes again, under a new delivery id or (redelivery) the one it came with.
    const old = pick(r, recent);
    if (r() < 0.3) {
      // Another validly signed body under a delivery id already used: 409.
      const body = JSON.stringify(basePayload(r));
      return { headers: { ...old.headers, 'x-hub-signature-256': hmac(SECRET, toBytes(body)) }, body };
    }
    const id = r() < 0.7 ? `fz-${++deliveries}` : old.headers['x-github-delivery'];
    return { headers: { ...old.headers, 'x-github-delivery': id }, body: old.body };
  }
  const draft: Draft = { headers: {}, body: '' };
  const delivery = `fz-${++deliveries}`;
  if (kind === 'gitlab') {
    draft.body = JSON.stringify(gitLabPayload(r));
    draft.headers = {
      'content-type': 'application/json',
      'x-gitlab-event': r() < 0.9 ? 'Push Hook' : pick(r, ['Tag Push Hook', 'Issue Hook', 'push']),
      'x-gitlab-token': SECRET,
      'idempotency-key': delivery,
    };
  } else {
    const payload = JSON.stringify(basePayload(r));
    draft.body = kind === 'form' ? `payload=${encodeURIComponent(payload)}` : payload;
    draft.headers = {
      'content-type': kind === 'form' ? 'application/x-www-form-urlencoded' : 'application/json',
      'x-github-event':
        kind === 'ping' ? 'ping' : kind === 'other' ? pick(r, ['issues', 'pull_request', 'PUSH']) : 'push',
      'x-github-delivery': delivery,
    };
  }

  const mutations = int(r, 4);
  for (let i = 0; i < mutations; i++) mutate(r, draft);
  // Sign last (most of the time) so mutated bodies still reach the parser and the push checks.
  if (!('x-gitlab-event' in draft.headers) && r() < 0.7)
    draft.headers['x-hub-signature-256'] = hmac(SECRET, toBytes(draft.body));
  if (r() < 0.3) mutateAuth(r, draft);
  if (r() < 0.2) draft.body = typeof draft.body === 'string' ? Buffer.from(draft.body) : draft.body;
  if (kind === 'push' && typeof draft.headers['x-hub-signature-256'] === 'string') {
    recent.push(draft);
    if (recent.length > 20) recent.shift();
  }
  return draft;
}

/** Headers that must come once; Node and API Gateway join repeated lines with ", ". */
const SINGLE_HEADERS = [
  'content-type',
  'x-github-event',
  'x-github-delivery',
  'x-hub-signature-256',
  'x-gitlab-event',
  'idempotency-key',
  'x-gitlab-event-uuid',
];

function mutate(r: Random, d: Draft): void {
  const bytes = Buffer.from(toBytes(d.body));
  switch (int(r, 13)) {
    case 12: {
      // a repeated line, as node:http's req.headers and API Gateway's payload 2.0 join it
      const name = pick(r, SINGLE_HEADERS);
      const value = d.headers[name];
      const first = typeof value === 'string' ? value : 'x';
      d.headers[name] = `${first}, ${pick(r, [first, 'other', ''])}`;
      break;
    }
    case 0: // flip a byte
      if (bytes.length > 0) bytes[int(r, bytes.length)] = int(r, 256);
      d.body = bytes;
      break;
    case 1: // truncate
      d.body = bytes.subarray(0, int(r, bytes.length + 1));
      break;
    case 2: // random bytes (often not UTF-8)
      d.body = Buffer.from(Array.from({ length: int(r, 200) }, () => int(r, 256)));
      break;
    case 3: // nesting around the limit
      d.body = deepJson(pick(r, [5, 31, 32, 33, 200, 5000]));
      break;
    case 4: // over the size limit
      d.body = JSON.stringify({ ref: 'refs/heads/main', pad: 'x'.repeat(MAX_BODY + int(r, 1000)) });
      break;
    case 5: // empty or whitespace
      d.body = pick(r, ['', ' ', '\n', 'null', '[]', '""', '0']);
      break;
    case 6: // BOM prefix
      d.body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
      break;
    case 7: // content type
      d.headers['content-type'] = pick(r, [
        undefined,
        'text/plain',
        'application/json; charset=utf-8',
        'APPLICATION/JSON',
        'application/jsonx',
        'multipart/form-data',
        ['application/json', 'application/json'],
      ]);
      break;
    case 8: // event headers
      d.headers[pick(r, ['x-github-event', 'x-gitlab-event'])] = pick(r, [
        undefined,
        'push',
        'ping',
        'Push Hook',
        ...weird,
      ]);
      break;
    case 9: // delivery ids
      d.headers[pick(r, ['x-github-delivery', 'idempotency-key', 'x-gitlab-event-uuid'])] = pick(r, [
        undefined,
        ...weird,
        ['a', 'b'],
      ]);
      break;
    case 10: // header name case
      for (const key of Object.keys(d.headers)) {
        const value = d.headers[key];
        delete d.headers[key];
        d.headers[r() < 0.5 ? key.toUpperCase() : key] = value;
      }
      break;
    default: // lone surrogates and control characters in an otherwise JSON string body
      d.body = `{"ref":"refs/heads/main\ud800","after":"${COMMIT}\u0001"}`;
  }
}

function mutateAuth(r: Random, d: Draft): void {
  const sig = d.headers['x-hub-signature-256'];
  switch (int(r, 8)) {
    case 0:
      delete d.headers['x-hub-signature-256'];
      break;
    case 1:
      delete d.headers['x-hub-signature-256'];
      d.headers['x-hub-signature'] =
        `sha1=${createHmac('sha1', SECRET).update(toBytes(d.body)).digest('hex')}`;
      break;
    case 2:
      d.headers['x-hub-signature-256'] = hmac('wrong-secret', toBytes(d.body));
      break;
    case 3:
      d.headers['x-hub-signature-256'] = typeof sig === 'string' ? sig.toUpperCase() : 'sha256=';
      break;
    case 4:
      d.headers['x-hub-signature-256'] = typeof sig === 'string' ? [sig, sig] : pick(r, weird);
      break;
    case 5:
      d.headers['x-gitlab-token'] = pick(r, [
        SECRET.slice(0, 4),
        `${SECRET} `,
        SECRET.toUpperCase(),
        ...weird,
      ]);
      break;
    case 6:
      d.headers['x-gitlab-token'] = [SECRET, SECRET];
      break;
    default:
      d.headers['x-hub-signature-256'] = `sha256=${'0'.repeat(64)}`;
  }
}
