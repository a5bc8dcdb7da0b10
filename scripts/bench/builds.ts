// History query latency at 1,000 and at 100,000 stored builds of a service: the first page of
// `listBuilds` is one Query on the service's partition, so its latency should not grow with history.
import { Agent, request as httpRequest } from 'node:http';
import { BuildRepository } from '../../lambdas/adapters/dynamo/buildRepository.ts';
import { keys } from '../../lambdas/adapters/dynamo/keys.ts';
import { startLocalTable } from '../../lambdas/adapters/local/dynalite.ts';
import { BenchmarkError } from './errors.ts';

const SIZES = (process.env.VOUCH_BENCH_BUILDS ?? '1000,100000').split(',').map(Number);
const WARMUP = 20;
const SAMPLES = 200;
const PAGE = 20;
const SEED_CONCURRENCY = 8;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** One DynamoDB JSON-protocol request over a keep-alive socket, skipping the SDK (seeding only). */
function post(
  agent: Agent,
  endpoint: URL,
  target: string,
  body: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: endpoint.hostname,
        port: endpoint.port,
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': `DynamoDB_20120810.${target}`,
          // dynalite checks the header's shape, not the signature; the endpoint is loopback only.
          authorization:
            'AWS4-HMAC-SHA256 Credential=local/20300101/local/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
          'x-amz-date': '20300101T000000Z',
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * Build items written directly, 25 per BatchWriteItem: what allocateVersion leaves behind, minus the
 * team-index attributes (not on the measured path). Seeding skips the SDK to keep the run short;
 * the measured queries go through BuildRepository and the SDK.
 */
export async function seed(endpoint: string, tableName: string, service: string, count: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: SEED_CONCURRENCY });
  const url = new URL(endpoint);
  const start = Date.parse('2030-01-01T00:00:00Z');
  const batches: number[][] = [];
  for (let v = 1; v <= count; v += 25)
    batches.push(Array.from({ length: Math.min(25, count - v + 1) }, (_, i) => v + i));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++] ?? [];
      let requests: unknown[] = batch.map((version) => {
        const key = keys.build(service, version);
        return {
          PutRequest: {
            Item: {
              pk: { S: key.pk },
              sk: { S: key.sk },
              service: { S: service },
              team: { S: 'bench' },
              version: { N: String(version) },
              commit: { S: 'f'.repeat(40) },
              execution: { S: `${service}-${version}` },
              status: { S: 'SUCCEEDED' },
              allocatedAt: { S: new Date(start + version * 1000).toISOString() },
            },
          },
        };
      });
      while (requests.length > 0) {
        const out = await post(
          agent,
          url,
          'BatchWriteItem',
          JSON.stringify({ RequestItems: { [tableName]: requests } }),
        );
        if (out.status !== 200) throw new BenchmarkError(`seeding failed: ${out.status} ${out.text}`);
        const parsed = JSON.parse(out.text) as { UnprocessedItems?: Record<string, unknown[]> };
        requests = parsed.UnprocessedItems?.[tableName] ?? [];
      }
    }
  };
  await Promise.all(Array.from({ length: SEED_CONCURRENCY }, worker));
  agent.destroy();
}

export async function run(): Promise<void> {
  const table = await startLocalTable(); // in memory
  const repo = new BuildRepository({ client: table.client, tableName: table.tableName });
  try {
    // Both histories sit in the same table (so the large case is a large table too), and the two
    // services are queried in alternation, so machine noise hits both sizes alike.
    for (const size of SIZES) {
      const seededAt = performance.now();
      await seed(table.endpoint, table.tableName, `bench-${size}`, size);
      console.log(
        `seeded ${size.toLocaleString('en')} builds in ${((performance.now() - seededAt) / 1000).toFixed(1)} s`,
      );
    }
    const latencies = new Map<number, number[]>(SIZES.map((size) => [size, []]));
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      for (const size of SIZES) {
        const t0 = performance.now();
        const page = await repo.listBuilds(`bench-${size}`, { limit: PAGE });
        const elapsed = performance.now() - t0;
        if (page.items[0]?.version !== size)
          throw new BenchmarkError(`history of bench-${size} does not start at v${size}`);
        if (i >= WARMUP) latencies.get(size)?.push(elapsed);
      }
    }
    const results = SIZES.map((size) => {
      const sorted = (latencies.get(size) ?? []).sort((a, b) => a - b);
      return { size, median: percentile(sorted, 50), p95: percentile(sorted, 95) };
    });
    for (const result of results) {
      console.log(
        `history of a service with ${result.size.toLocaleString('en')} builds: ` +
          `median ${result.median.toFixed(2)} ms, p95 ${result.p95.toFixed(2)} ms`,
      );
    }
    const [small, large] = results;
    if (small && large) {
      console.log(
        `ratio ${large.size.toLocaleString('en')} / ${small.size.toLocaleString('en')} builds: ` +
          `median ${(large.median / small.median).toFixed(2)}, p95 ${(large.p95 / small.p95).toFixed(2)} ` +
          '(close to 1: one Query on the service partition, newest first, never a Scan)',
      );
    }
    console.log(
      `measured: BuildRepository.listBuilds first page (${PAGE} builds) over HTTP to in-memory dynalite in this ` +
        `process, ${SAMPLES} sequential calls per size after ${WARMUP} warm-up rounds, the sizes alternating; wall-clock ms include the ` +
        'SDK and loopback HTTP, so compare the ratio, not the absolute figures',
    );
  } finally {
    await table.close();
  }
}
