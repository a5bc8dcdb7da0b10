// Webhook endpoint latency: how long the local loopback endpoint takes to answer a valid, signed
// trunk push while 50 senders post at once. Real HTTP on 127.0.0.1 (keep-alive), the real handler
// (HMAC check, JSON parse, push checks); the spec loader, the run starter and the delivery ledger are
// in memory, so this measures the endpoint, not git, the build table or the pipeline engine.
import { randomUUID } from 'node:crypto';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createLocalWebhookServer } from '../../lambdas/adapters/local/webhookServer.ts';
import type { RunInput } from '../../lambdas/core/pipeline/contract.ts';
import { createMemoryDeliveryLedger } from '../../lambdas/core/webhook/deliveryLedger.ts';
import { gitHubPushPayload, signedGitHubHeaders } from '../../lambdas/core/webhook/gitHubPush.ts';

const SENDERS = 50;
const WARMUP = 1_000;
const MEASURED = 10_000;
const SECRET = 'bench-secret';

interface Prepared {
  headers: Record<string, string>;
  body: Buffer;
}

async function prepare(count: number): Promise<Prepared[]> {
  const out: Prepared[] = [];
  for (let i = 0; i < count; i++) {
    const commit = randomUUID().replace(/-/g, '').padEnd(40, '0').slice(0, 40);
    const body = JSON.stringify(
      gitHubPushPayload({ repo: 'acme/shop', branch: 'main', commit, before: '1'.repeat(40) }),
    );
    const headers = await signedGitHubHeaders(SECRET, body, randomUUID());
    out.push({
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      body: Buffer.from(body),
    });
  }
  return out;
}

function post(url: string, agent: Agent, req: Prepared): Promise<{ status: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const client = request(url, { method: 'POST', headers: req.headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
    });
    client.on('error', reject);
    client.end(req.body);
  });
}

async function blast(url: string, agent: Agent, requests: Prepared[]) {
  const times: number[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  const sender = async () => {
    for (let i = next++; i < requests.length; i = next++) {
      const { status, ms } = await post(url, agent, requests[i] as Prepared);
      times.push(ms);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: SENDERS }, sender));
  return { times, statuses, seconds: (performance.now() - t0) / 1000 };
}

/** The same load against a bare node:http server that reads the body and answers 201: the floor of this machine. */
async function baseline(requests: Prepared[]) {
  const bare = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(201, { 'content-type': 'application/json', 'content-length': '2' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  const agent = new Agent({ keepAlive: true, maxSockets: SENDERS });
  try {
    const url = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/webhook`;
    await blast(url, agent, requests.slice(0, WARMUP));
    return await blast(url, agent, requests);
  } finally {
    agent.destroy();
    bare.closeAllConnections();
    await new Promise((resolve) => bare.close(resolve));
  }
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;

export async function run(): Promise<void> {
  let started = 0;
  const server = await createLocalWebhookServer({
    deps: {
      secret: SECRET,
      loadSpec: async () => ({
        found: true,
        service: 'shop',
        team: 'payments',
        solution: 'storefront',
        pipe: 'ci',
        trunk: 'main',
        config: { releaseEnvironments: [] },
      }),
      ledger: createMemoryDeliveryLedger(),
      starter: {
        async start(name: string, _input: RunInput) {
          started++;
          return { executionArn: `local:${name}`, alreadyExisted: false };
        },
      },
      logger: { info() {}, warn() {}, error() {} },
    },
  });
  const agent = new Agent({ keepAlive: true, maxSockets: SENDERS });
  try {
    const [warm, measured] = [await prepare(WARMUP), await prepare(MEASURED)];
    await blast(server.url, agent, warm);
    const { times, statuses, seconds } = await blast(server.url, agent, measured);
    const sorted = [...times].sort((a, b) => a - b);
    console.log('local webhook endpoint, valid signed trunk pushes over loopback HTTP (keep-alive)');
    console.log(
      'starter, spec loader and delivery ledger: in-memory (measures the endpoint, not git, the table or the engine)',
    );
    console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
    console.log(`senders: ${SENDERS} concurrent, requests: ${MEASURED} measured after ${WARMUP} warm-up`);
    console.log(
      `statuses: ${[...statuses].map(([s, n]) => `${s} x${n}`).join(', ')}; runs started: ${started - WARMUP}`,
    );
    console.log(
      `median: ${quantile(sorted, 0.5).toFixed(2)} ms   p99: ${quantile(sorted, 0.99).toFixed(2)} ms   max: ${(sorted.at(-1) ?? 0).toFixed(2)} ms`,
    );
    console.log(`throughput: ${(MEASURED / seconds).toFixed(0)} pushes/s`);
    const floor = await baseline(measured);
    const floorSorted = [...floor.times].sort((a, b) => a - b);
    const floorMedian = quantile(floorSorted, 0.5);
    console.log(
      `bare node:http floor, same load: median ${floorMedian.toFixed(2)} ms, p99 ${quantile(floorSorted, 0.99).toFixed(2)} ms, ${(MEASURED / floor.seconds).toFixed(0)} req/s`,
    );
    console.log(
      `ratio endpoint/floor: median x${(quantile(sorted, 0.5) / floorMedian).toFixed(2)}, p99 x${(quantile(sorted, 0.99) / quantile(floorSorted, 0.99)).toFixed(2)}`,
    );
  } finally {
    agent.destroy();
    await server.close();
  }
}
