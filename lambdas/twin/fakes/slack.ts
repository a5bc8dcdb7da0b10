/**
 * Slack on the twin: the notifier posts through @slack/web-api (axios over node's https module) to
 * slack.com as on AWS. The twin routes HTTPS connections to slack.com and files.slack.com to a
 * recording Web API on 127.0.0.1 (plain HTTP: the connection is made by the twin's https agent, so
 * no certificate is involved) and answers as Slack does: chat.postMessage, and the upload flow of
 * files.uploadV2 (files.getUploadURLExternal, the upload itself, files.completeUploadExternal). Tests
 * read what was posted from `messages` and `uploads`, as they read the local platform's outbox.
 * Any other host keeps node's own TLS connection.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { buffer } from 'node:stream/consumers';

const SLACK_HOSTS = new Set(['slack.com', 'www.slack.com', 'files.slack.com']);

export interface SlackMessage {
  readonly channel: string;
  readonly text: string;
  readonly blocks: unknown;
  readonly metadata: unknown;
  readonly ts: string;
  /** Whether the call carried the token the twin holds in Secrets Manager (never the token itself). */
  readonly authorized: boolean;
}

export interface SlackUpload {
  readonly channel: string;
  readonly threadTs?: string;
  readonly filename: string;
  readonly title?: string;
  readonly bytes: number;
  /** The upload's content when it is text (a JSON notification); undefined for binary (a PNG chart). */
  readonly text?: string;
}

export interface SlackCall {
  readonly method: string;
  readonly params: Record<string, unknown>;
}

interface PendingUpload {
  readonly filename: string;
  body?: Buffer;
}

/** Form values that the Web API client JSON-encodes (blocks, metadata, files) are decoded back. */
function decodeForm(body: string): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(body)) {
    params[k] = /^[[{]/.test(v) ? JSON.parse(v) : v;
  }
  return params;
}

export class TwinSlack {
  readonly calls: SlackCall[] = [];
  readonly messages: SlackMessage[] = [];
  readonly uploads: SlackUpload[] = [];
  private readonly pending = new Map<string, PendingUpload>();
  private server: Server | undefined;
  private port = 0;
  private originalAgent: https.Agent | undefined;
  private sequence = 0;

  /** @param token the bot token the twin's Secrets Manager holds: calls with another are `invalid_auth`. */
  constructor(private readonly token: () => string | undefined) {}

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      void this.answer(req, res).catch((error: Error) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(error.message);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    const port = this.port;
    const original = https.globalAgent;
    this.originalAgent = original;
    // https.request uses `https.globalAgent` when the caller passes no agent (axios, @slack/web-api).
    class SlackRoutingAgent extends https.Agent {
      override createConnection(options: { host?: string; servername?: string }, cb?: unknown) {
        const host = options.servername ?? options.host ?? '';
        if (SLACK_HOSTS.has(host)) return connect(port, '127.0.0.1');
        // biome-ignore lint/suspicious/noExplicitAny: node's Agent.createConnection is untyped here
        return (https.Agent.prototype as any).createConnection.call(this, options, cb);
      }
    }
    https.globalAgent = new SlackRoutingAgent({ keepAlive: false });
  }

  async stop(): Promise<void> {
    if (this.originalAgent) https.globalAgent = this.originalAgent;
    this.originalAgent = undefined;
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private send(res: ServerResponse, body: object): void {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://slack.com');
    const body = await buffer(req);
    const upload = /^\/upload\/v1\/(F[A-Z0-9]+)$/.exec(url.pathname);
    if (upload) {
      const pending = this.pending.get(upload[1] as string);
      if (!pending) return void res.writeHead(404).end('no such upload');
      pending.body = body;
      res.writeHead(200, { 'content-type': 'text/plain' });
      return void res.end(`OK - ${body.length}`);
    }
    const method = url.pathname.replace(/^\/api\//, '');
    const contentType = req.headers['content-type'] ?? '';
    const params = contentType.includes('application/json')
      ? (JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>)
      : decodeForm(body.toString('utf8'));
    this.calls.push({ method, params });
    const authorized = req.headers.authorization === `Bearer ${this.token()}`;
    if (!authorized) return this.send(res, { ok: false, error: 'invalid_auth' });
    switch (method) {
      case 'chat.postMessage': {
        const ts = `${Math.floor(Date.now() / 1000)}.${String(++this.sequence).padStart(6, '0')}`;
        const channel = String(params.channel);
        this.messages.push({
          channel,
          text: String(params.text ?? ''),
          blocks: params.blocks,
          metadata: params.metadata,
          ts,
          authorized,
        });
        return this.send(res, { ok: true, channel, ts, message: { text: params.text, ts } });
      }
      case 'files.getUploadURLExternal': {
        const fileId = `F${String(++this.sequence).padStart(9, '0')}`;
        this.pending.set(fileId, { filename: String(params.filename) });
        return this.send(res, {
          ok: true,
          file_id: fileId,
          upload_url: `https://files.slack.com/upload/v1/${fileId}`,
        });
      }
      case 'files.completeUploadExternal': {
        const files = (params.files ?? []) as { id: string; title?: string }[];
        for (const f of files) {
          const pending = this.pending.get(f.id);
          if (!pending?.body) return this.send(res, { ok: false, error: 'file_not_found' });
          const text = pending.body.toString('utf8');
          const binary = text.includes('\uFFFD') || pending.body.subarray(0, 8).includes(0);
          this.uploads.push({
            channel: String(params.channel_id),
            ...(params.thread_ts ? { threadTs: String(params.thread_ts) } : {}),
            filename: pending.filename,
            ...(f.title ? { title: f.title } : {}),
            bytes: pending.body.length,
            ...(binary ? {} : { text }),
          });
          this.pending.delete(f.id);
        }
        return this.send(res, { ok: true, files: files.map((f) => ({ id: f.id, title: f.title })) });
      }
      default:
        return this.send(res, { ok: false, error: 'unknown_method' });
    }
  }
}
