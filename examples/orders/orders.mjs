// The orders API itself, with no transport: a request in ({ method, path, body text }), a response
// out ({ status, body }). server.mjs serves it over HTTP (the EC2 flavour), lambda.mjs as a Lambda
// function URL handler (the lambda-canary flavour): the same behaviour and the same release knobs.
import { readFileSync } from 'node:fs';

const here = new URL('.', import.meta.url);
export const release = {
  errorRate: 0,
  extraLatencyMs: 0,
  ...JSON.parse(readFileSync(new URL('release.json', here), 'utf8')),
};
if (!(release.errorRate >= 0 && release.errorRate <= 1))
  throw new Error('release.json: errorRate must be in [0, 1]');
if (!(release.extraLatencyMs >= 0)) throw new Error('release.json: extraLatencyMs must be >= 0');

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

/** @param {{ method: string, path: string, body: string, version: string }} request */
export async function handleOrders({ method, path, body: text, version }) {
  // Health stays healthy in a faulty release: the regression must be caught by evidence, not by start-up.
  if (path === '/health') return { status: 200, body: { status: 'ok', version } };

  if (release.extraLatencyMs > 0) await new Promise((r) => setTimeout(r, release.extraLatencyMs));
  if (injectedFailure()) return { status: 500, body: { error: 'injected failure', version } };

  if (path === '/orders' && method === 'GET') return { status: 200, body: { orders: [...orders.values()] } };
  if (path === '/orders' && method === 'POST') {
    let body;
    try {
      body = text === '' ? {} : JSON.parse(text);
    } catch {
      return { status: 400, body: { error: 'body must be JSON' } };
    }
    if (
      typeof body.item !== 'string' ||
      body.item === '' ||
      !Number.isInteger(body.quantity) ||
      body.quantity < 1
    ) {
      return { status: 400, body: { error: 'expected { item: non-empty string, quantity: integer >= 1 }' } };
    }
    const order = {
      id: String(nextId++),
      item: body.item,
      quantity: body.quantity,
      createdAt: new Date().toISOString(),
    };
    orders.set(order.id, order);
    return { status: 201, body: order };
  }
  const match = /^\/orders\/([^/]+)$/.exec(path);
  if (match && method === 'GET') {
    const order = orders.get(decodeURIComponent(match[1]));
    return order ? { status: 200, body: order } : { status: 404, body: { error: 'no such order' } };
  }
  if (path === '/orders' || match) return { status: 405, body: { error: 'method not allowed' } };
  return { status: 404, body: { error: 'not found' } };
}
