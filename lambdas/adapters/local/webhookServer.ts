import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleWebhook } from '../../core/webhook/handleWebhook.ts';
import { resolveLimits } from '../../core/webhook/limits.ts';
import type { WebhookDeps, WebhookReplyBody } from '../../core/webhook/types.ts';

export interface LocalWebhookServerOptions {
  readonly deps: WebhookDeps;
  /** @default '127.0.0.1': the endpoint is for this machine only. */
  readonly host?: string;
  /** @default 0 (any free port; read it back from `port`/`url`) */
  readonly port?: number;
  /** @default '/webhook' */
  readonly path?: string;
  /** The request line and headers must arrive within this. @default 10_000 */
  readonly headersTimeoutMs?: number;
  /** The whole request must arrive within this. @default 15_000 */
  readonly requestTimeoutMs?: number;
}

export interface LocalWebhookServer {
  /** Full endpoint URL, e.g. http://127.0.0.1:41234/webhook (what `.vouch/platform.json` `webhookUrl` holds). */
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

/**
 * The webhook handler behind node:http on loopback, for the local platform. Reads at most the body
 * limit (refusing early on a Content-Length over it, and stopping mid-stream past it), so a large or
 * endless upload costs bounded memory.
 */
export async function createLocalWebhookServer(
  options: LocalWebhookServerOptions,
): Promise<LocalWebhookServer> {
  const host = options.host ?? '127.0.0.1';
  const path = options.path ?? '/webhook';
  const { maxBodyBytes } = resolveLimits(options.deps.limits);

  // Node enforces headersTimeout/requestTimeout only when it sweeps its connections, every
  // connectionsCheckingInterval (30 s by default), so a slow socket outlived both by up to 30 s. Sweep
  // every tenth of the shorter timeout and take the sweep off each timeout, so each fires between
  // its value minus one sweep and its value.
  const headersTimeoutMs = options.headersTimeoutMs ?? 10_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
  if (!(headersTimeoutMs > 0 && requestTimeoutMs > headersTimeoutMs)) {
    throw new RangeError('the webhook server needs 0 < headersTimeoutMs < requestTimeoutMs');
  }
  const sweepMs = Math.max(1, Math.floor(headersTimeoutMs / 10));
  const server = createServer(
    {
      connectionsCheckingInterval: sweepMs,
      headersTimeout: headersTimeoutMs - sweepMs,
      requestTimeout: requestTimeoutMs - sweepMs,
    },
    (req, res) => {
      const url = req.url ?? '/';
      if (url.split('?')[0] !== path)
        return send(res, 404, { outcome: 'rejected', reason: `no endpoint at ${clipPath(url)}` });
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST');
        return send(res, 405, { outcome: 'rejected', reason: 'only POST is accepted' });
      }
      const declared = Number(req.headers['content-length'] ?? Number.NaN);
      if (declared > maxBodyBytes)
        return tooLarge(req, res, `body is ${declared} bytes; the limit is ${maxBodyBytes}`);

      const chunks: Buffer[] = [];
      let received = 0;
      let stopped = false;
      req.on('data', (chunk: Buffer) => {
        if (stopped) return;
        received += chunk.length;
        if (received > maxBodyBytes) {
          stopped = true;
          chunks.length = 0;
          tooLarge(req, res, `body exceeds the limit of ${maxBodyBytes} bytes`);
          return;
        }
        chunks.push(chunk);
      });
      req.on('error', () => {
        stopped = true;
      });
      req.on('end', () => {
        if (stopped) return;
        // rawHeaders: Node joins (or, for Content-Type, drops) repeated lines in req.headers.
        const request = {
          headers: req.headers,
          rawHeaders: req.rawHeaders,
          body: Buffer.concat(chunks, received),
        };
        handleWebhook(request, options.deps).then(
          (answer) => send(res, answer.status, answer.body),
          // handleWebhook answers every failure itself; this only guards against a broken logger.
          () => send(res, 500, { outcome: 'unavailable', reason: 'internal error' }),
        );
      });
    },
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}${path}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, body: WebhookReplyBody): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Answer 413 and close the connection once the answer is out, without reading the rest. */
function tooLarge(req: IncomingMessage, res: ServerResponse, reason: string): void {
  res.setHeader('connection', 'close');
  res.once('finish', () => req.socket.destroy());
  send(res, 413, { outcome: 'rejected', reason });
}

function clipPath(url: string): string {
  return url.length > 80 ? `${url.slice(0, 77)}...` : url;
}
