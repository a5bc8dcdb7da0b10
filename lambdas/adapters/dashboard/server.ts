/**
 * `vouch dashboard`: the page and its JSON API on 127.0.0.1 (like `kubectl argo rollouts dashboard`).
 *   GET  /                                             the page (assets bundled: no CDN, works offline)
 *   GET  /assets/<file>                                its script, style and Chart.js from node_modules
 *   GET  /api/dashboard/services                       registered services (one Query)
 *   GET  /api/dashboard/services/:s/where              version per environment (one Query)
 *   GET  /api/dashboard/services/:s/builds             latest executions (one Query, one page)
 *   GET  /api/dashboard/services/:s/builds/:v          one build with its stored pipe shape (one GetItem)
 *   GET  /api/dashboard/services/:s/builds/:v/events   its timeline (one Query)
 *   GET  /api/dashboard/services/:s/windows/:env       the open window (one GetItem) + both slots' series
 *   GET  /api/dashboard/cost                           cost per team and service over time
 *   GET  /api/dashboard/stamp                          the version stamp now, and the platform's clock
 *   GET  /api/dashboard/live                           server-sent events: a stamp when something changed
 *   POST /api/promote | /api/abort | /api/rollback      the control path the CLI uses
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { InvalidBuildInputError, UnknownServiceError } from '../../core/builds/errors.ts';
import { ControlRefusedError, DashboardHttpError } from './errors.ts';
import type { DashboardSource } from './source.ts';

export { DashboardHttpError };

const MAX_BODY = 16 * 1024;
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'a service or environment name');
export const PromoteSchema = z.strictObject({ service: name, environment: name.optional() });
export const AbortSchema = z.strictObject({ service: name });
export const RollbackSchema = z.strictObject({ service: name, environment: name });

const assetsDir = join(dirname(new URL(import.meta.url).pathname), 'assets');
// Chart.js as installed (package.json pins it): its UMD build, served from node_modules.
const chartJs = join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js');
const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: join(assetsDir, 'index.html'), type: 'text/html' },
  '/assets/app.js': { file: join(assetsDir, 'app.js'), type: 'text/javascript' },
  '/assets/app.css': { file: join(assetsDir, 'app.css'), type: 'text/css' },
  '/assets/chart.umd.min.js': { file: chartJs, type: 'text/javascript' },
};

export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
    throw new DashboardHttpError(415, 'send application/json');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new DashboardHttpError(413, `body over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new DashboardHttpError(400, 'body is not valid JSON');
  }
}

export function parseBody<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new DashboardHttpError(
      400,
      result.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
    );
  }
  return result.data;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function pathName(value: string | undefined): string {
  return parseBody(name, decodeURIComponent(value ?? ''));
}

function versionOf(value: string | undefined): number {
  const version = Number(value);
  if (!Number.isInteger(version) || version < 1) throw new DashboardHttpError(400, `not a version: ${value}`);
  return version;
}

/** How often the live stream compares the stamp. */
const LIVE_CHECK_MS = 500;

/**
 * Serves the dashboard's routes; returns false for a route it does not know (the caller may serve it).
 */
export function dashboardRoutes(source: DashboardSource) {
  const streams = new Set<ServerResponse>();
  return {
    streams,
    async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const method = req.method ?? 'GET';
      if (method === 'GET' && url.pathname === '/favicon.ico') {
        res.writeHead(204).end();
        return true;
      }
      const asset = ASSETS[url.pathname];
      if (method === 'GET' && asset) {
        res.writeHead(200, { 'content-type': `${asset.type}; charset=utf-8`, 'cache-control': 'no-cache' });
        res.end(readFileSync(asset.file));
        return true;
      }
      if (method === 'POST' && source.control) {
        const control = source.control;
        if (url.pathname === '/api/promote') {
          const body = parseBody(PromoteSchema, await readJsonBody(req));
          sendJson(res, 200, await control.promote(body.service, body.environment));
          return true;
        }
        if (url.pathname === '/api/abort') {
          const body = parseBody(AbortSchema, await readJsonBody(req));
          sendJson(res, 200, await control.abort(body.service));
          return true;
        }
        if (url.pathname === '/api/rollback') {
          const body = parseBody(RollbackSchema, await readJsonBody(req));
          sendJson(res, 200, await control.rollback(body.service, body.environment));
          return true;
        }
      }
      if (!url.pathname.startsWith('/api/dashboard/')) return false;
      if (method !== 'GET') throw new DashboardHttpError(405, `no ${method} ${url.pathname}`);
      const parts = url.pathname.slice('/api/dashboard/'.length).split('/');
      const [first, service, second, third, fourth] = parts;
      if (parts.length === 1 && first === 'services') {
        const services = await source.listServices();
        sendJson(res, 200, {
          label: source.label,
          control: source.control?.kind ?? null,
          services: services.map((s) => ({ service: s.service, team: s.team, lastVersion: s.lastVersion })),
        });
        return true;
      }
      if (parts.length === 1 && first === 'cost') {
        sendJson(res, 200, await source.cost());
        return true;
      }
      if (parts.length === 1 && first === 'stamp') {
        sendJson(res, 200, { stamp: await source.stamp(), now: await source.clockNow() });
        return true;
      }
      if (parts.length === 1 && first === 'live') {
        live(source, req, res, streams);
        return true;
      }
      if (first === 'services' && parts.length === 3 && second === 'where') {
        sendJson(res, 200, await source.whereRuns(pathName(service)));
        return true;
      }
      if (first === 'services' && parts.length === 3 && second === 'builds') {
        sendJson(res, 200, await source.listBuilds(pathName(service)));
        return true;
      }
      if (first === 'services' && parts.length === 4 && second === 'builds') {
        const build = await source.getBuild(pathName(service), versionOf(third));
        if (!build) throw new DashboardHttpError(404, `no build ${third} of ${service}`);
        sendJson(res, 200, build);
        return true;
      }
      if (first === 'services' && parts.length === 5 && second === 'builds' && fourth === 'events') {
        sendJson(res, 200, await source.listEvents(pathName(service), versionOf(third)));
        return true;
      }
      if (first === 'services' && parts.length === 4 && second === 'windows') {
        const svc = pathName(service);
        const env = pathName(third);
        const window = await source.findOpenWindow(svc, env);
        const from = Number(url.searchParams.get('from') ?? Date.now() - 30_000);
        if (!Number.isFinite(from)) throw new DashboardHttpError(400, 'from must be epoch milliseconds');
        const series = window ? await source.slotSeries(svc, env, from) : undefined;
        sendJson(res, 200, {
          window: window ?? null,
          series: series ?? null,
          now: new Date(await source.clockNow()).toISOString(),
        });
        return true;
      }
      throw new DashboardHttpError(404, `no ${method} ${url.pathname}`);
    },
  };
}

/** Server-sent events: the current stamp at once, then each time it changes (no table read). */
function live(
  source: DashboardSource,
  req: IncomingMessage,
  res: ServerResponse,
  streams: Set<ServerResponse>,
): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-store',
    connection: 'keep-alive',
  });
  streams.add(res);
  let last = '';
  const check = async () => {
    const stamp = await source.stamp().catch(() => last);
    if (stamp !== last) {
      last = stamp;
      res.write(`data: ${JSON.stringify(stamp)}\n\n`);
    }
  };
  void check();
  const timer = setInterval(() => void check(), LIVE_CHECK_MS);
  const stop = () => {
    clearInterval(timer);
    streams.delete(res);
  };
  req.on('close', stop);
  res.on('close', stop);
}

export function sendError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  if (error instanceof DashboardHttpError) sendJson(res, error.status, { error: error.message });
  else if (error instanceof UnknownServiceError) sendJson(res, 404, { error: error.message });
  else if (error instanceof ControlRefusedError) sendJson(res, 403, { error: error.message });
  else if (error instanceof InvalidBuildInputError) sendJson(res, 400, { error: error.message });
  else sendJson(res, 500, { error: error instanceof Error ? error.message : String(error) });
}

export interface DashboardServer {
  readonly url: string;
  close(): Promise<void>;
}

/** The dashboard alone on 127.0.0.1 (`vouch dashboard`). */
export async function startDashboardServer(source: DashboardSource, port = 0): Promise<DashboardServer> {
  const routes = dashboardRoutes(source);
  const server: Server = createServer((req, res) => {
    routes
      .handle(req, res)
      .then((handled) => {
        if (!handled) sendJson(res, 404, { error: `no ${req.method} ${req.url}` });
      })
      .catch((error: unknown) => sendError(res, error));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}/`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const stream of routes.streams) stream.end();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
