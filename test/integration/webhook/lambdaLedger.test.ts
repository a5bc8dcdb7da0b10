// Cases 3 and 4 through the Lambda entry: 50 containers of the webhook Lambda (50 separately imported
// handler modules, each with its own clients, as 50 cold starts would have) share one build table
// (dynalite). 50 concurrent deliveries of one push under 50 delivery ids start exactly one execution.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LocalTable, startLocalTable } from '../../../lambdas/adapters/local/dynalite.ts';
import { pushBody, REPO, SECRET, signedPush } from '../../unit/webhook/fixtures.ts';
import { fakeStepFunctions } from '../../unit/webhook/stepFunctionsFake.ts';

const sfn = mockClient(SFNClient);
const secrets = mockClient(SecretsManagerClient);
const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:vouch-ci';
const SPEC_FILE = 'pipe: ci\nservice: shop\nteam: payments\nsolution: storefront\n';
const CONTAINERS = 50;

type Handler = (event: unknown) => Promise<{ statusCode: number; body: string }>;
let table: LocalTable;
const containers: Handler[] = [];

const httpApiEvent = (headers: Record<string, string>, body: string) => ({
  version: '2.0',
  routeKey: 'POST /webhook',
  headers,
  body: Buffer.from(body).toString('base64'),
  isBase64Encoded: true,
  requestContext: { http: { method: 'POST', path: '/webhook' } },
});

beforeAll(async () => {
  table = await startLocalTable();
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  vi.stubEnv('VOUCH_STATE_MACHINES', JSON.stringify({ ci: MACHINE }));
  vi.stubEnv(
    'VOUCH_SERVICES',
    JSON.stringify([{ name: 'shop', repo: REPO, flavour: 'ci', team: 'payments', solution: 'storefront' }]),
  );
  vi.stubEnv('VOUCH_WEBHOOK_SECRET_NAME', 'vouch/webhook');
  vi.stubEnv('VOUCH_GIT_TOKEN_SECRET_NAME', 'vouch/git-token');
  vi.stubEnv('VOUCH_BUILD_TABLE', table.tableName);
  // The handler's own DynamoDBClient({}) reaches dynalite through the SDK's per-service endpoint variable.
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', table.endpoint);
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
  vi.stubGlobal('fetch', async () => new Response(SPEC_FILE, { status: 200 }));
  secrets.on(GetSecretValueCommand, { SecretId: 'vouch/webhook' }).resolves({ SecretString: SECRET });
  secrets.on(GetSecretValueCommand, { SecretId: 'vouch/git-token' }).resolves({ SecretString: 'ghp_token' });
  for (let i = 0; i < CONTAINERS; i++) {
    vi.resetModules();
    containers.push((await import('../../../lambdas/handlers/webhook.ts')).handler);
  }
}, 120_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
  sfn.restore();
  secrets.restore();
  await table.close();
});

describe('webhook Lambda, 50 containers on one table', () => {
  it('imports 50 distinct handler modules (50 cold starts)', () => {
    expect(new Set(containers).size).toBe(CONTAINERS);
  });

  it('case 3: 50 concurrent deliveries of one push under 50 ids start exactly one execution', async () => {
    // Prepare: one signed body, 50 delivery ids, one per container.
    sfn.reset();
    const fake = fakeStepFunctions(sfn);
    const body = pushBody();
    const requests = await Promise.all(containers.map((_, i) => signedPush(body, `delivery-50-${i}`)));

    // Act
    const answers = await Promise.all(
      containers.map((handler, i) => {
        const r = requests[i] as { headers: Record<string, string>; body: string };
        return handler(httpApiEvent(r.headers, r.body));
      }),
    );

    // Assess: one StartExecution, one 201; every other delivery names the same run with 200.
    const replies = answers.map((a) => ({ status: a.statusCode, ...JSON.parse(a.body) }));
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(fake.created.size).toBe(1);
    expect(replies.filter((r) => r.status === 201)).toHaveLength(1);
    expect(replies.filter((r) => r.status === 200 && r.outcome === 'existing')).toHaveLength(CONTAINERS - 1);
    const started = replies.find((r) => r.status === 201);
    expect(new Set(replies.map((r) => r.execution))).toEqual(new Set([started.execution]));
  });

  it('case 4: 50 concurrent redeliveries of one delivery id answer 201 only to the one that started it', async () => {
    sfn.reset();
    const fake = fakeStepFunctions(sfn);
    const r = await signedPush(pushBody({ commit: 'd'.repeat(40) }), 'delivery-same-id');

    const answers = await Promise.all(containers.map((handler) => handler(httpApiEvent(r.headers, r.body))));

    const statuses = answers.map((a) => a.statusCode);
    expect(fake.created.size).toBe(1);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(CONTAINERS - 1);
    expect(new Set(answers.map((a) => JSON.parse(a.body).execution))).toEqual(
      new Set(['gh-delivery-same-id']),
    );
  });

  it('a container that was not part of the first delivery still answers a replay with the same run', async () => {
    sfn.reset();
    fakeStepFunctions(sfn);
    const body = pushBody({ commit: 'e'.repeat(40) });
    const first = await (containers[0] as Handler)(httpApiEvent(...(await pair(body, 'delivery-cold-1'))));
    const replay = await (containers[49] as Handler)(httpApiEvent(...(await pair(body, 'delivery-cold-2'))));

    expect([first.statusCode, replay.statusCode]).toEqual([201, 200]);
    expect(JSON.parse(replay.body).execution).toBe('gh-delivery-cold-1');
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });
});

async function pair(body: string, id: string): Promise<[Record<string, string>, string]> {
  const r = await signedPush(body, id);
  return [r.headers, r.body];
}
