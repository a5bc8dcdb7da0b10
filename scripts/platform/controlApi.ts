/**
 * Control by people, and a page to watch: the local platform's API on 127.0.0.1.
 *   GET  /                  the dashboard page (services, runs, open windows, cost estimate)
 *   GET  /api/status        JSON of the same (?service=orders narrows it)
 *   POST /api/promote       { service, environment? }  close the open window now, on the evidence so far
 *   POST /api/abort         { service }                fail the service's runs at their window; they roll back
 *   POST /api/rollback      { service, environment }   canary to 0 % at once, then the run rolls back
 * Bodies are small JSON; anything else gets a precise 4xx.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { readResourceJournal } from '../../lambdas/adapters/local/target/resourceJournal.ts';
import { estimateLocalCost, renderCostTable } from '../../lambdas/core/cost/localEstimate.ts';
import { UnknownLocalNameError } from './errors.ts';
import type { LocalPlatform } from './LocalPlatform.ts';

const MAX_BODY = 16 * 1024;
const name = z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'a lowercase name');
const PromoteSchema = z.strictObject({ service: name, environment: name.optional() });
const AbortSchema = z.strictObject({ service: name });
const RollbackSchema = z.strictObject({ service: name, environment: name });

export interface ControlApi {
  readonly url: string;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
    throw new HttpError(415, 'send application/json');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `body over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new HttpError(
      400,
      result.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
    );
  }
  return result.data;
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = type === 'application/json' ? JSON.stringify(body, null, 2) : String(body);
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' });
  res.end(text);
}

export async function startControlApi(platform: LocalPlatform, port = 0): Promise<ControlApi> {
  const server: Server = createServer((req, res) => {
    handle(platform, req, res).catch((error: unknown) => {
      if (error instanceof HttpError) send(res, error.status, { error: error.message });
      else if (error instanceof UnknownLocalNameError) send(res, 404, { error: error.message });
      else send(res, 500, { error: error instanceof Error ? error.message : String(error) });
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function handle(platform: LocalPlatform, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const route = `${req.method} ${url.pathname}`;
  switch (route) {
    case 'GET /':
      return send(res, 200, renderDashboard(await platform.status(), costLines(platform)), 'text/html');
    case 'GET /api/status':
      return send(res, 200, await platform.status(url.searchParams.get('service') ?? undefined));
    case 'POST /api/promote': {
      const body = parse(PromoteSchema, await readJson(req));
      return send(res, 200, await platform.promoteNow(body.service, body.environment));
    }
    case 'POST /api/abort': {
      const body = parse(AbortSchema, await readJson(req));
      return send(res, 200, await platform.abort(body.service));
    }
    case 'POST /api/rollback': {
      const body = parse(RollbackSchema, await readJson(req));
      return send(res, 200, await platform.rollbackNow(body.service, body.environment));
    }
    default:
      throw new HttpError(
        url.pathname.startsWith('/api/') || url.pathname === '/' ? 405 : 404,
        `no ${route}`,
      );
  }
}

function costLines(platform: LocalPlatform): string[] {
  const journal = readResourceJournal(platform.resourceJournal);
  return renderCostTable(estimateLocalCost(journal, { now: new Date() }));
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

/** A plain page that refreshes itself: what runs where, the runs, the open windows, the cost estimate. */
export function renderDashboard(
  status: Awaited<ReturnType<LocalPlatform['status']>>,
  cost: string[],
): string {
  const services = status.services
    .map(
      (s) =>
        `<tr><td>${escapeHtml(s.service)}</td><td>${escapeHtml(s.team)}</td><td>${Object.entries(s.where)
          .map(([env, v]) => `${escapeHtml(env)}: v${v.version}`)
          .join(', ')}</td></tr>`,
    )
    .join('');
  const runs = status.runs
    .map(
      (r) =>
        `<tr><td>${escapeHtml(r.service)}</td><td>${escapeHtml(r.name)}</td><td>${escapeHtml(r.commit.slice(0, 8))}</td><td>${escapeHtml(
          r.status,
        )}</td><td><pre>${escapeHtml(r.recent.join('\n'))}</pre></td></tr>`,
    )
    .join('');
  const windows = status.openWindows
    .map(
      (w) =>
        `<tr><td>${escapeHtml(w.service)}</td><td>${escapeHtml(w.environment)}</td><td>${w.step ?? ''}</td><td>${escapeHtml(
          w.endsAt,
        )}</td></tr>`,
    )
    .join('');
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<title>Vouch (local)</title><style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}pre{margin:0;font-size:12px}</style></head>
<body><h1>Vouch on this machine</h1>
<h2>Services</h2><table><tr><th>service</th><th>team</th><th>running</th></tr>${services}</table>
<h2>Runs</h2><table><tr><th>service</th><th>run</th><th>commit</th><th>status</th><th>latest steps</th></tr>${runs}</table>
<h2>Open verification windows</h2><table><tr><th>service</th><th>environment</th><th>step %</th><th>ends</th></tr>${windows}</table>
<h2>Cost (ESTIMATE, not a bill)</h2><pre>${escapeHtml(cost.join('\n'))}</pre>
</body></html>`;
}
