// The example service Vouch deploys: a tiny orders API with no dependencies.
// GET /health, GET /orders, POST /orders, GET /orders/:id; data in memory.
// Its behaviour knobs live in release.json beside it, so a faulty release is different content
// (a new image) rather than a runtime flag.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const here = new URL('.', import.meta.url);
const release = {
  errorRate: 0,
  extraLatencyMs: 0,
  ...JSON.parse(readFileSync(new URL('release.json', here), 'utf8')),
};
if (!(release.errorRate >= 0 && release.errorRate <= 1))
  throw new Error('release.json: errorRate must be in [0, 1]');
if (!(release.extraLatencyMs >= 0)) throw new Error('release.json: extraLatencyMs must be >= 0');

const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';
const version = process.env.VOUCH_VERSION ?? 'dev';

const orders = new Map([
  ['1', { id: '1', item: 'coffee beans', quantity: 2, createdAt: '2024-01-01T00:00:00.000Z' }],
  ['2', { id: '2', item: 'filter papers', quantity: 1, createdAt: '2024-01-01T00:00:00.000Z' }],
]);
let nextId = 3;

// Errors are spread evenly rather than drawn at random: request n fails when floor(n * rate) steps
// up, so exactly `errorRate` of any run of requests fail and a test can count them.
let served = 0;
function injectedFailure() {
  const before = Math.floor(served * release.errorRate);
  served += 1;
  return Math.floor(served * release.errorRate) > before;
}

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'x-service-version': version });
  res.end(text);
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      text += chunk;
      if (text.length > 64 * 1024) reject(new Error('body too large'));
    });
    req.on('end', () => {
      try {
        resolve(text === '' ? {} : JSON.parse(text));
      } catch (error) {
        reject(error);
      }
    });
    req.on('error', reject);
  });
}

async function handle(req, res) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  // Health stays healthy in a faulty release: the regression must be caught by evidence, not by start-up.
  if (url.pathname === '/health') return send(res, 200, { status: 'ok', version });

  if (release.extraLatencyMs > 0) await new Promise((r) => setTimeout(r, release.extraLatencyMs));
  if (injectedFailure()) return send(res, 500, { error: 'injected failure', version });

  if (url.pathname === '/orders' && req.method === 'GET')
    return send(res, 200, { orders: [...orders.values()] });
  if (url.pathname === '/orders' && req.method === 'POST') {
    let body;
    try {
      body = await readJson(req);
    } catch {
      return send(res, 400, { error: 'body must be JSON' });
    }
    if (
      typeof body.item !== 'string' ||
      body.item === '' ||
      !Number.isInteger(body.quantity) ||
      body.quantity < 1
    ) {
      return send(res, 400, { error: 'expected { item: non-empty string, quantity: integer >= 1 }' });
    }
    const order = {
      id: String(nextId++),
      item: body.item,
      quantity: body.quantity,
      createdAt: new Date().toISOString(),
    };
    orders.set(order.id, order);
    return send(res, 201, order);
  }
  const match = /^\/orders\/([^/]+)$/.exec(url.pathname);
  if (match && req.method === 'GET') {
    const order = orders.get(decodeURIComponent(match[1]));
    return order ? send(res, 200, order) : send(res, 404, { error: 'no such order' });
  }
  if (url.pathname === '/orders' || match) return send(res, 405, { error: 'method not allowed' });
  return send(res, 404, { error: 'not found' });
}

const server = createServer((req, res) => {
  handle(req, res).catch((error) => send(res, 500, { error: String(error) }));
});
server.listen(port, host, () => {
  const address = server.address();
  console.log(
    `orders ${version} listening on http://${host}:${address.port} (release ${JSON.stringify(release)})`,
  );
});

// Finish requests in flight, then exit, when the deploy target replaces this process.
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
