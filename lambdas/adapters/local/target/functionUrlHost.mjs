// Runs a Lambda handler on one machine the way a function URL invokes it: each HTTP request becomes
// a payload-format-2.0 event, the handler's result becomes the response. The local deploy target
// starts it for a lambda-canary service (run.handler), so the same handler file serves behind the
// weighted proxy as on AWS behind an alias. Plain JavaScript: it runs in the service's folder with
// the service's own node, no build step.
//
//   PORT=8080 node functionUrlHost.mjs lambda.handler   # file lambda.mjs (or .js), export `handler`
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const spec = process.argv[2] ?? '';
const dot = spec.lastIndexOf('.');
if (dot <= 0 || dot === spec.length - 1) {
  console.error(
    `usage: node functionUrlHost.mjs <file>.<export> (for example lambda.handler), got "${spec}"`,
  );
  process.exit(2);
}
const base = resolve(spec.slice(0, dot));
const file = ['.mjs', '.js', '.cjs'].map((ext) => base + ext).find((f) => existsSync(f));
if (!file) {
  console.error(`no handler file ${spec.slice(0, dot)}.mjs/.js/.cjs in ${process.cwd()}`);
  process.exit(2);
}
const handler = (await import(pathToFileURL(file).href))[spec.slice(dot + 1)];
if (typeof handler !== 'function') {
  console.error(`${file} exports no function "${spec.slice(dot + 1)}"`);
  process.exit(2);
}

const MAX_BODY = 6 * 1024 * 1024; // Lambda's synchronous payload limit

function readBody(req) {
  return new Promise((done, fail) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY) fail(new Error('payload too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => done(Buffer.concat(chunks)));
    req.on('error', fail);
  });
}

function toEvent(req, body) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers = {};
  for (const [key, value] of Object.entries(req.headers))
    headers[key] = Array.isArray(value) ? value.join(',') : value;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: Object.fromEntries(url.searchParams),
    requestContext: {
      http: {
        method: req.method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress,
      },
      timeEpoch: Date.now(),
    },
    body: body.toString('base64'),
    isBase64Encoded: true,
  };
}

const server = createServer(async (req, res) => {
  try {
    const result = await handler(toEvent(req, await readBody(req)), {});
    // A function URL answers a non-object result as a 200 JSON body (payload format 2.0).
    const response =
      result && typeof result === 'object' && 'statusCode' in result
        ? result
        : { statusCode: 200, body: JSON.stringify(result) };
    const body = response.isBase64Encoded
      ? Buffer.from(response.body ?? '', 'base64')
      : (response.body ?? '');
    res.writeHead(response.statusCode, response.headers ?? {});
    res.end(body);
  } catch (error) {
    // What a function URL answers when the function throws.
    res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: 'Internal Server Error' }));
    console.error(error);
  }
});
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  console.log(
    `${spec} listening on http://${server.address().address}:${server.address().port} (function URL payload 2.0)`,
  );
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
