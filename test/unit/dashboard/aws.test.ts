import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { awsControl, awsSource, resolveAwsStack } from '../../../lambdas/adapters/dashboard/aws.ts';
import { ControlRefusedError } from '../../../lambdas/adapters/dashboard/errors.ts';
import { startDashboardServer } from '../../../lambdas/adapters/dashboard/server.ts';
import { dashboardCommand } from '../../../scripts/cli/dashboard.ts';
import { main } from '../../../scripts/vouch.ts';

const CONTROL_URL = 'https://abcdefghij.lambda-url.eu-west-1.on.aws/';
const credentials = async () => ({
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'secret',
  sessionToken: 'session',
});

const answer = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('the control commands against AWS', () => {
  let cwd: string;
  const dynamo = mockClient(DynamoDBDocumentClient);

  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'vouch-aws-'));
  });

  afterEach(() => {
    dynamo.reset();
    vi.unstubAllGlobals();
    vi.unstubAllEnvs();
    rmSync(cwd, { recursive: true, force: true });
  });

  it("finds the stack's table and control URL in cdk deploy's outputs file", () => {
    writeFileSync(
      join(cwd, 'cdk-outputs.json'),
      JSON.stringify({ Vouch: { BuildTableName: 'vouch-builds-x', ControlUrl: CONTROL_URL }, Other: {} }),
    );
    expect(resolveAwsStack({ cwd, env: {} })).toEqual({
      stack: 'Vouch',
      tableName: 'vouch-builds-x',
      controlUrl: CONTROL_URL,
      region: 'eu-west-1',
    });
    expect(() => resolveAwsStack({ cwd, env: {}, stack: 'Other' })).toThrow(/no outputs of stack Other/);
  });

  it('signs each control request with SigV4 for Lambda, with the caller credentials', async () => {
    const sent: { url: string; init: RequestInit }[] = [];
    const control = awsControl({
      controlUrl: CONTROL_URL,
      region: 'eu-west-1',
      credentials,
      fetch: async (url, init) => {
        sent.push({ url: String(url), init: init as RequestInit });
        return answer(200, { done: true, reason: 'qa: ManualRollback: the run rolls back' });
      },
    });
    expect(await control.rollback('orders', 'qa')).toMatchObject({ done: true });
    const headers = sent[0]?.init.headers as Record<string, string>;
    expect(sent[0]?.url).toBe(CONTROL_URL);
    expect(JSON.parse(String(sent[0]?.init.body))).toEqual({
      action: 'rollback',
      service: 'orders',
      environment: 'qa',
    });
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/lambda\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
    expect(headers['x-amz-security-token']).toBe('session');
    expect(headers['x-amz-content-sha256'] ?? headers['x-amz-date']).toBeTruthy();
  });

  it('refuses clearly when AWS says the caller may not (403 from the IAM-authenticated URL)', async () => {
    const control = awsControl({
      controlUrl: CONTROL_URL,
      region: 'eu-west-1',
      credentials,
      fetch: async () => answer(403, { Message: 'Forbidden' }),
    });
    await expect(control.abort('orders')).rejects.toThrow(ControlRefusedError);
    await expect(control.abort('orders')).rejects.toThrow(
      /may not call the Vouch control endpoint.*ControlOperatorPolicyArn/,
    );
  });

  it('vouch rollback --aws: exit 1 with the refusal for a caller without permission, 2 without a stack', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
    const fetched: string[] = [];
    vi.stubGlobal('fetch', async (url: URL | string) => {
      fetched.push(String(url));
      return answer(403, { Message: 'Forbidden' });
    });
    const out: string[] = [];
    const err: string[] = [];
    const ctx = {
      cwd,
      env: { VOUCH_BUILD_TABLE: 'vouch-builds-x', VOUCH_CONTROL_URL: CONTROL_URL },
      out: (l: string) => out.push(l),
      err: (l: string) => err.push(l),
    };
    expect(await main(['rollback', 'orders', 'qa', '--aws'], ctx)).toBe(1);
    expect(fetched).toEqual([CONTROL_URL]);
    expect(err.join('\n')).toMatch(/AWS refused: your credentials may not call/);
    expect(out).toEqual([]);

    const noStack = { ...ctx, env: {} };
    expect(await main(['abort', 'orders', '--aws', '--stack', 'Missing'], noStack)).toBe(2);
    expect(err.at(-1)).toMatch(/no outputs of stack Missing/);
  });

  it('vouch where / history --aws: one Query each on the deployed table, with the user credentials', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
    dynamo.on(QueryCommand).resolves({
      Items: [
        {
          environment: 'prod',
          version: 6,
          commit: 'b'.repeat(40),
          since: '2030-01-01T00:00:00.000Z',
          previousVersion: 5,
        },
      ],
    });
    const out: string[] = [];
    const ctx = {
      cwd,
      env: { VOUCH_BUILD_TABLE: 'vouch-builds-x', VOUCH_CONTROL_URL: CONTROL_URL },
      out: (l: string) => out.push(l),
      err: (l: string) => out.push(l),
    };
    expect(await main(['where', 'orders', '--aws'], ctx)).toBe(0);
    expect(out.join('\n')).toMatch(/prod\s+v6\s+bbbbbbbbbbbb/);
    expect(dynamo.calls()).toHaveLength(1);
    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
      TableName: 'vouch-builds-x',
      ExpressionAttributeValues: { ':pk': 'SERVICE#orders', ':prefix': 'ENV#' },
    });
    dynamo.on(QueryCommand).resolves({
      Items: [
        {
          service: 'orders',
          team: 'checkout',
          version: 6,
          commit: 'b'.repeat(40),
          execution: 'gh-6',
          status: 'SUCCEEDED',
          allocatedAt: '2030-01-01T00:00:00.000Z',
        },
      ],
    });
    expect(await main(['history', 'orders', '--aws', '--stack', 'Vouch'], ctx)).toBe(0);
    expect(out.join('\n')).toMatch(/6\s+SUCCEEDED/);
    expect(dynamo.calls()).toHaveLength(2);
    expect(await main(['where', 'orders', '--aws'], { ...ctx, env: {} })).toBe(2);
  });

  it('vouch dashboard --aws serves the deployed stack, and says what is missing without one', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
    dynamo.on(QueryCommand).resolves({ Items: [{ service: 'orders', team: 'checkout', lastVersion: 3 }] });
    const lines: string[] = [];
    let served: unknown;
    const command = dashboardCommand(async () => {
      const url = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(lines.join('\n'))?.[1] as string;
      served = await (await fetch(new URL('api/dashboard/services', url))).json();
    });
    const ctx = {
      cwd,
      env: { VOUCH_BUILD_TABLE: 'vouch-builds-x', VOUCH_CONTROL_URL: CONTROL_URL },
      out: (l: string) => lines.push(l),
      err: (l: string) => lines.push(l),
    };
    expect(await command.run(['--aws'], ctx)).toBe(0);
    expect(served).toMatchObject({
      control: 'aws',
      label: 'AWS stack Vouch (eu-west-1, table vouch-builds-x)',
      services: [{ service: 'orders', team: 'checkout', lastVersion: 3 }],
    });
    expect(await command.run(['--aws', '--stack', 'Nope'], { ...ctx, env: {} })).toBe(2);
    expect(lines.at(-1)).toMatch(/no outputs of stack Nope/);
  });

  it('dashboard --aws: each page read is one request to the deployed table', async () => {
    dynamo.on(QueryCommand).resolves({
      Items: [
        {
          service: 'orders',
          team: 'checkout',
          version: 7,
          commit: 'a'.repeat(40),
          execution: 'gh-7',
          status: 'RUNNING',
          allocatedAt: '2030-01-01T00:00:00.000Z',
        },
      ],
    });
    dynamo.on(GetCommand).resolves({});
    const stack = {
      stack: 'Vouch',
      tableName: 'vouch-builds-x',
      controlUrl: CONTROL_URL,
      region: 'eu-west-1',
    };
    const server = await startDashboardServer(
      awsSource(stack, new DynamoDBClient({ region: 'eu-west-1', credentials })),
    );
    try {
      const builds = (await (
        await fetch(new URL('api/dashboard/services/orders/builds', server.url))
      ).json()) as { version: number }[];
      expect(builds, JSON.stringify(builds)).toBeInstanceOf(Array);
      expect(builds.map((b) => b.version)).toEqual([7]);
      expect(dynamo.calls()).toHaveLength(1);
      expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
        TableName: 'vouch-builds-x',
        ExpressionAttributeValues: expect.objectContaining({ ':pk': 'SERVICE#orders' }),
        Limit: 20,
      });
      const window = await fetch(new URL('api/dashboard/services/orders/windows/qa', server.url));
      expect(await window.json()).toMatchObject({ window: null, series: null });
      expect(dynamo.calls()).toHaveLength(2);
      const meta = (await (await fetch(new URL('api/dashboard/services', server.url))).json()) as {
        control: string;
        label: string;
      };
      expect(meta).toMatchObject({ control: 'aws', label: expect.stringContaining('AWS stack Vouch') });
    } finally {
      await server.close();
    }
  });
});
