// The example service Vouch deploys: a tiny orders API with no dependencies.
// GET /health, GET /orders, POST /orders, GET /orders/:id; data in memory (orders.mjs).
// Its behaviour knobs live in release.json beside it, so a faulty release is different content
// (a new image) rather than a runtime flag.
import { createServer } from 'node:http';
import { handleOrders, release } from './orders.mjs';

const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';
const version = process.env.VOUCH_VERSION ?? 'dev';

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'x-service-version': version });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      text += chunk;
      if (text.length > 64 * 1024) reject(new Error('body too large'));
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

async function handle(req, res) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  // An unreadable body (too large, aborted) is answered as one that is not JSON: 400.
  const body = req.method === 'POST' ? await readBody(req).catch(() => '\u0000') : '';
  const response = await handleOrders({ method: req.method ?? 'GET', path: url.pathname, body, version });
  send(res, response.status, response.body);
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
