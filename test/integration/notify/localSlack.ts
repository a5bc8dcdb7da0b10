// A local stand-in for the Slack Web API on 127.0.0.1:0: the methods the notifier calls, Slack's
// message limits enforced as Slack does (ok:false, nothing posted), scripted failures, and counts.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buffer } from 'node:stream/consumers';

export type Scripted =
  | { status: 429; retryAfter: number }
  | { status: 500 | 502 | 503 }
  | { platformError: string }
  | 'ok';

export interface PostedMessage {
  channel: string;
  text: string;
  blocks: Array<Record<string, unknown>>;
  metadata?: unknown;
  ts: string;
}

export interface LocalSlack {
  readonly apiUrl: string;
  readonly port: number;
  /** Messages Slack accepted (a delivery). */
  readonly messages: PostedMessage[];
  /** Files completed into a channel/thread, with their uploaded bytes. */
  readonly files: Array<{ id: string; title?: string; channel: string; threadTs?: string; bytes: Buffer }>;
  /** HTTP requests per method (attempts, including failed ones). */
  readonly requests: Map<string, number>;
  /** Per-method queue of scripted answers; when empty, `fallback` (default 'ok'). */
  script(method: string, ...answers: Scripted[]): void;
  fallback: Scripted;
  close(): Promise<void>;
}

/** The Slack limits a real workspace enforces on chat.postMessage (docs: chat.postMessage, Block Kit reference). */
function limitError(text: string, blocks: Array<Record<string, unknown>>): string | undefined {
  if (text.length > 40_000) return 'msg_too_long';
  if (blocks.length > 50) return 'invalid_blocks';
  for (const b of blocks) {
    const t = b.text as { text?: string } | undefined;
    if (b.type === 'section' && (t?.text?.length ?? 0) > 3000) return 'invalid_blocks';
    if (b.type === 'header' && (t?.text?.length ?? 0) > 150) return 'invalid_blocks';
    const fields = b.fields as Array<{ text: string }> | undefined;
    if (fields && (fields.length > 10 || fields.some((f) => f.text.length > 2000))) return 'invalid_blocks';
  }
  return undefined;
}

export async function startLocalSlack(): Promise<LocalSlack> {
  const queues = new Map<string, Scripted[]>();
  const messages: PostedMessage[] = [];
  const files: LocalSlack['files'] = [];
  const uploads = new Map<string, { bytes: Buffer; title?: string }>();
  const requests = new Map<string, number>();
  let seq = 0;
  let port = 0;
  const state = { fallback: 'ok' as Scripted };

  const server: Server = createServer(async (req, res) => {
    const body = await buffer(req);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const json = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(payload));
    };
    if (url.pathname.startsWith('/upload/')) {
      const id = url.pathname.slice('/upload/'.length);
      requests.set('upload', (requests.get('upload') ?? 0) + 1);
      const entry = uploads.get(id);
      if (entry) entry.bytes = body;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('OK');
      return;
    }
    const method = url.pathname.replace(/^\/api\//, '');
    requests.set(method, (requests.get(method) ?? 0) + 1);
    const answer = queues.get(method)?.shift() ?? state.fallback;
    if (answer !== 'ok') {
      if ('retryAfter' in answer)
        return json(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(answer.retryAfter) });
      if ('status' in answer) return json(answer.status, { ok: false, error: 'internal_error' });
      return json(200, { ok: false, error: answer.platformError });
    }
    const form = new URLSearchParams(body.toString('utf8'));
    if (method === 'chat.postMessage') {
      const text = form.get('text') ?? '';
      const blocks = JSON.parse(form.get('blocks') ?? '[]') as Array<Record<string, unknown>>;
      const error = limitError(text, blocks);
      if (error) return json(200, { ok: false, error });
      seq++;
      const ts = `1700000000.${String(seq).padStart(6, '0')}`;
      const channel = form.get('channel') ?? '';
      const metadata = form.get('metadata');
      messages.push({ channel, text, blocks, ts, ...(metadata ? { metadata: JSON.parse(metadata) } : {}) });
      return json(200, { ok: true, channel, ts });
    }
    if (method === 'files.getUploadURLExternal') {
      seq++;
      const id = `F${seq}`;
      uploads.set(id, { bytes: Buffer.alloc(0) });
      return json(200, { ok: true, upload_url: `http://127.0.0.1:${port}/upload/${id}`, file_id: id });
    }
    if (method === 'files.completeUploadExternal') {
      const list = JSON.parse(form.get('files') ?? '[]') as Array<{ id: string; title?: string }>;
      for (const f of list) {
        const threadTs = form.get('thread_ts');
        files.push({
          id: f.id,
          ...(f.title ? { title: f.title } : {}),
          channel: form.get('channel_id') ?? '',
          ...(threadTs ? { threadTs } : {}),
          bytes: uploads.get(f.id)?.bytes ?? Buffer.alloc(0),
        });
      }
      return json(200, { ok: true, files: list.map((f) => ({ id: f.id, title: f.title })) });
    }
    return json(200, { ok: false, error: 'unknown_method' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  return {
    apiUrl: `http://127.0.0.1:${port}/api/`,
    port,
    messages,
    files,
    requests,
    script(method, ...answers) {
      queues.set(method, [...(queues.get(method) ?? []), ...answers]);
    },
    get fallback() {
      return state.fallback;
    },
    set fallback(value: Scripted) {
      state.fallback = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
