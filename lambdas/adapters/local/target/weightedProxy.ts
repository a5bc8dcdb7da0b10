/**
 * The weighted reverse proxy in front of an environment's slots: the one-machine stand-in for an ALB
 * listener with two weighted target groups. Each request goes to the slot the smooth weighted picker
 * chooses; method, path, headers and body are forwarded; the response carries `x-vouch-slot` and
 * `x-vouch-version` and is reported to the observers, so evidence can be attributed to a slot.
 */
import { Agent, createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Slot, SlotRequest } from '../../../core/target/port.ts';
import { SmoothWeightedPicker } from '../../../core/target/weights.ts';

export interface ProxyUpstream {
  readonly port: number;
  readonly host: string;
  readonly version: string;
  readonly image: string;
}

/** A request the proxy served: the port's SlotRequest before the target adds which environment it was. */
export type ProxiedRequest = Omit<SlotRequest, 'service' | 'environment' | 'environmentId'>;

// Hop-by-hop headers (RFC 9110 section 7.6.1) are not forwarded.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'proxy-authorization',
  'proxy-authenticate',
]);

function forwardable(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HOP_BY_HOP.has(name) && value !== undefined) out[name] = value;
  }
  return out;
}

export class WeightedProxy {
  readonly picker = new SmoothWeightedPicker();
  private readonly slots: { baseline?: ProxyUpstream; canary?: ProxyUpstream } = {};
  /** One connection pool per upstream, so stopping one slot drops only its pooled sockets. */
  private readonly agents = new Map<ProxyUpstream, Agent>();
  private readonly server: Server;
  private port = 0;

  constructor(
    private readonly host: string,
    private readonly report: (request: ProxiedRequest) => void,
  ) {
    this.server = createServer((req, res) => {
      const at = Date.now();
      const started = performance.now();
      const slot = this.picker.next(this.slots.canary !== undefined);
      const upstream = this.slots[slot];
      const method = req.method ?? 'GET';
      const path = req.url ?? '/';
      if (!upstream) {
        res
          .writeHead(503, { 'content-type': 'text/plain' })
          .end('No version is deployed in this environment\n');
        return;
      }
      const finish = (status: number): void => {
        const latencyMs = performance.now() - started;
        try {
          this.report({
            slot,
            version: upstream.version,
            image: upstream.image,
            method,
            path,
            status,
            latencyMs,
            at,
          });
        } catch {
          // An observer's failure must not break traffic.
        }
      };
      const headers = forwardable(req.headers);
      const forwardedFor = req.socket.remoteAddress ?? '';
      headers['x-forwarded-for'] = headers['x-forwarded-for']
        ? `${headers['x-forwarded-for']}, ${forwardedFor}`
        : forwardedFor;
      const upstreamReq = request(
        { host: upstream.host, port: upstream.port, method, path, headers, agent: this.agentFor(upstream) },
        (upstreamRes) => {
          const responseHeaders = forwardable(upstreamRes.headers);
          responseHeaders['x-vouch-slot'] = slot;
          responseHeaders['x-vouch-version'] = upstream.version;
          const status = upstreamRes.statusCode ?? 502;
          res.writeHead(status, responseHeaders);
          upstreamRes.pipe(res);
          res.once('finish', () => finish(status));
          upstreamRes.once('error', () => res.destroy());
        },
      );
      upstreamReq.once('error', () => {
        if (!res.headersSent) {
          res
            .writeHead(502, {
              'content-type': 'text/plain',
              'x-vouch-slot': slot,
              'x-vouch-version': upstream.version,
            })
            .end(`The ${slot} (version ${upstream.version}) did not answer\n`);
          finish(502);
        } else {
          res.destroy();
        }
      });
      // A caller that goes away takes its upstream request with it.
      res.once('close', () => {
        if (!res.writableFinished) upstreamReq.destroy();
      });
      req.pipe(upstreamReq);
    });
  }

  async listen(port = 0): Promise<number> {
    await new Promise<void>((resolveListen, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, this.host, () => {
        this.server.removeListener('error', reject);
        resolveListen();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  upstream(slot: Slot): ProxyUpstream | undefined {
    return this.slots[slot];
  }

  /** Routes new requests of a slot to an upstream, or to nothing. Requests in flight finish where they are. */
  setUpstream(slot: Slot, upstream: ProxyUpstream | undefined): void {
    if (upstream) this.slots[slot] = upstream;
    else delete this.slots[slot];
  }

  /** Drops the connection pool of an upstream whose process has stopped. */
  dropUpstream(upstream: ProxyUpstream): void {
    if (upstream === this.slots.baseline || upstream === this.slots.canary) return;
    this.agents.get(upstream)?.destroy();
    this.agents.delete(upstream);
  }

  private agentFor(upstream: ProxyUpstream): Agent {
    let agent = this.agents.get(upstream);
    if (!agent) {
      agent = new Agent({ keepAlive: true, maxSockets: 64 });
      this.agents.set(upstream, agent);
    }
    return agent;
  }

  async close(): Promise<void> {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
    await new Promise<void>((resolveClose) => {
      this.server.close(() => resolveClose());
      this.server.closeAllConnections();
    });
  }
}
