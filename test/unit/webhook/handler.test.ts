import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { COMMIT, PARENT, pushBody, REPO, SECRET, signedPush, smuggledFormBody } from './fixtures.ts';

const sfn = mockClient(SFNClient);
const secrets = mockClient(SecretsManagerClient);
// The ledger's table (the shared-table behaviour is test/integration/webhook/lambdaLedger.test.ts).
const dynamo = mockClient(DynamoDBDocumentClient);
const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:vouch-ci';
const SPEC_FILE = 'pipe: ci\nservice: shop\nteam: payments\nsolution: storefront\n';
const fetched: string[] = [];

let handler: (event: unknown) => Promise<{ statusCode: number; body: string }>;

beforeAll(async () => {
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  vi.stubEnv('VOUCH_STATE_MACHINES', JSON.stringify({ ci: MACHINE }));
  vi.stubEnv(
    'VOUCH_SERVICES',
    JSON.stringify([{ name: 'shop', repo: REPO, flavour: 'ci', team: 'payments', solution: 'storefront' }]),
  );
  vi.stubEnv('VOUCH_WEBHOOK_SECRET_NAME', 'vouch/webhook');
  vi.stubEnv('VOUCH_GIT_TOKEN_SECRET_NAME', 'vouch/git-token');
  vi.stubEnv('VOUCH_BUILD_TABLE', 'vouch-builds');
  vi.stubGlobal('fetch', async (url: string) => {
    fetched.push(url);
    return new Response(SPEC_FILE, { status: 200 });
  });
  ({ handler } = await import('../../../lambdas/handlers/webhook.ts'));
});

afterAll(() => {
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
});

beforeEach(() => {
  sfn.reset();
  secrets.reset();
  dynamo.reset();
  dynamo.on(PutCommand).resolves({});
  dynamo.on(UpdateCommand).resolves({});
  secrets.on(GetSecretValueCommand, { SecretId: 'vouch/webhook' }).resolves({ SecretString: SECRET });
  secrets.on(GetSecretValueCommand, { SecretId: 'vouch/git-token' }).resolves({ SecretString: 'ghp_token' });
  sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'no', $metadata: {} }));
  sfn.on(StartExecutionCommand).callsFake(({ name }) => ({
    executionArn: `${MACHINE.replace(':stateMachine:', ':execution:')}:${name}`,
  }));
});

const httpApiEvent = (headers: Record<string, string>, body: string, method = 'POST') => ({
  version: '2.0',
  routeKey: 'POST /webhook',
  headers,
  body: Buffer.from(body).toString('base64'),
  isBase64Encoded: true,
  requestContext: { http: { method, path: '/webhook' } },
});

describe('webhook Lambda handler', () => {
  it('decodes a base64 HTTP API body, verifies it, and starts the flavour state machine', async () => {
    const { headers, body } = await signedPush(pushBody(), 'delivery-aws-1');

    const res = await handler(httpApiEvent(headers, body));

    expect(res.statusCode).toBe(201);
    expect(JSON.parse(res.body)).toMatchObject({ outcome: 'started', execution: 'gh-delivery-aws-1' });
    expect(fetched.at(-1)).toBe(`https://api.github.com/repos/acme/shop/contents/.vouch.yml?ref=${COMMIT}`);
    expect(sfn).toReceiveCommandWith(StartExecutionCommand, {
      stateMachineArn: MACHINE,
      name: 'gh-delivery-aws-1',
    });
  });

  it('ignores a repo the platform does not register, without starting anything', async () => {
    const { headers, body } = await signedPush(pushBody({ repo: 'mallory/miner' }), 'delivery-aws-2');

    const res = await handler(httpApiEvent(headers, body));

    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body).reason).toBe('mallory/miner is not a registered service repo');
    expect(sfn).not.toReceiveCommand(StartExecutionCommand);
  });

  it('refuses a forged signature with 401 and a non-POST with 405', async () => {
    const { headers, body } = await signedPush(pushBody(), 'delivery-aws-3', 'guess');

    const forged = await handler(httpApiEvent(headers, body));
    const get = await handler(httpApiEvent(headers, body, 'GET'));

    expect(forged.statusCode).toBe(401);
    expect(get.statusCode).toBe(405);
    expect(sfn).not.toReceiveCommand(StartExecutionCommand);
  });

  it('case 1: refuses a signed JSON body re-sent as form-encoded with 415, starting nothing', async () => {
    const { headers, body } = await signedPush(smuggledFormBody(), 'delivery-aws-form');

    const res = await handler(
      httpApiEvent({ ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body),
    );

    expect(res.statusCode).toBe(415);
    expect(sfn).not.toReceiveCommand(StartExecutionCommand);
  });

  it('case 5: sees repeated headers as HTTP API (joined with ", ") and REST API (multiValueHeaders) deliver them', async () => {
    const { headers, body } = await signedPush(pushBody(), 'delivery-aws-h1');
    const joined = httpApiEvent(
      { ...headers, 'x-github-delivery': 'delivery-aws-h1, delivery-aws-h2' },
      body,
    );
    const multi = {
      resource: '/webhook',
      httpMethod: 'POST',
      headers: { ...headers, 'x-github-delivery': 'delivery-aws-h2' },
      multiValueHeaders: {
        ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
        'x-github-delivery': ['delivery-aws-h1', 'delivery-aws-h2'],
      },
      body,
      isBase64Encoded: false,
    };

    const answers = [await handler(joined), await handler(multi)];

    expect(answers.map((a) => [a.statusCode, JSON.parse(a.body).reason])).toEqual([
      [400, 'more than one x-github-delivery header'],
      [400, 'more than one x-github-delivery header'],
    ]);
    expect(sfn).not.toReceiveCommand(StartExecutionCommand);
  });

  it("reads a GitLab project's .vouch.yml through GitLab's repository files API at the pushed commit", async () => {
    const body = JSON.stringify({
      object_kind: 'push',
      ref: 'refs/heads/main',
      before: PARENT,
      after: COMMIT,
      project: { path_with_namespace: REPO, default_branch: 'main' },
    });
    const headers = {
      'content-type': 'application/json',
      'x-gitlab-event': 'Push Hook',
      'x-gitlab-token': SECRET,
      'idempotency-key': 'gl-key-1',
    };

    const res = await handler(httpApiEvent(headers, body));

    expect(res.statusCode).toBe(201);
    expect(fetched.at(-1)).toBe(
      `https://gitlab.com/api/v4/projects/acme%2Fshop/repository/files/.vouch.yml/raw?ref=${COMMIT}`,
    );
    expect(sfn).toReceiveCommandWith(StartExecutionCommand, {
      stateMachineArn: MACHINE,
      name: 'gl-gl-key-1',
    });
  });
});
