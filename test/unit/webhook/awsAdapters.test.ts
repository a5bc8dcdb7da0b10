import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createGitHubSpecReader } from '../../../lambdas/adapters/aws/webhook/gitHubSpecReader.ts';
import { createGitLabSpecReader } from '../../../lambdas/adapters/aws/webhook/gitLabSpecReader.ts';
import { createCachedSecretReader } from '../../../lambdas/adapters/aws/webhook/secretReader.ts';
import { createSfnStarter, executionArnFor } from '../../../lambdas/adapters/aws/webhook/sfnStarter.ts';
import type { RunInput } from '../../../lambdas/core/pipeline/contract.ts';
import {
  ExecutionStartError,
  SpecReadError,
  UnknownCommitError,
  WebhookSecretError,
} from '../../../lambdas/core/webhook/errors.ts';
import { COMMIT, REPO, SPEC } from './fixtures.ts';
import { fakeStepFunctions } from './stepFunctionsFake.ts';

const sfn = mockClient(SFNClient);
const secrets = mockClient(SecretsManagerClient);
afterEach(() => {
  sfn.reset();
  secrets.reset();
});

const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:vouch-ec2-canary';
const NAME = 'gh-72d3162e-cc78-11e3-81ab-4c9367dc0958';
const EXECUTION = `arn:aws:states:eu-west-1:123456789012:execution:vouch-ec2-canary:${NAME}`;
const INPUT: RunInput = { ...SPEC, repo: REPO, commit: COMMIT, branch: 'main', execution: NAME };
const meta = { $metadata: {} };

describe('Step Functions starter', () => {
  const starter = () =>
    createSfnStarter({
      client: new SFNClient({}),
      stateMachineFor: (pipe) => (pipe === 'ec2-canary' ? MACHINE : undefined),
      newStartRequest: () => 'start-1',
    });

  it('derives the execution ARN from the state machine ARN and the name', () => {
    expect(executionArnFor(MACHINE, NAME)).toBe(EXECUTION);
  });

  it('starts an execution named after the delivery when none exists', async () => {
    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'no', ...meta }));
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });

    const started = await starter().start(NAME, INPUT);

    expect(started).toEqual({ executionArn: EXECUTION, alreadyExisted: false });
    expect(sfn).toReceiveCommandWith(StartExecutionCommand, {
      stateMachineArn: MACHINE,
      name: NAME,
      input: JSON.stringify({ ...INPUT, startRequest: 'start-1' }),
    });
  });

  it('case 4: of 50 concurrent starts of one name, only the one that created it is told it started it', async () => {
    // Prepare: Step Functions as documented: the same name and input as a running execution succeeds.
    const fake = fakeStepFunctions(sfn);
    const concurrent = createSfnStarter({
      client: new SFNClient({}),
      stateMachineFor: () => MACHINE,
    });

    // Act
    const answers = await Promise.all(Array.from({ length: 50 }, () => concurrent.start(NAME, INPUT)));

    // Assess
    expect(fake.created.size).toBe(1);
    expect(answers.filter((a) => !a.alreadyExisted)).toHaveLength(1);
    expect(new Set(answers.map((a) => a.executionArn))).toEqual(new Set([EXECUTION]));
  });

  it('answers with the existing execution and starts nothing when the name exists', async () => {
    sfn
      .on(DescribeExecutionCommand, { executionArn: EXECUTION })
      .resolves({ executionArn: EXECUTION, status: 'RUNNING' });

    const started = await starter().start(NAME, INPUT);

    expect(started).toEqual({ executionArn: EXECUTION, alreadyExisted: true });
    expect(sfn).not.toReceiveCommand(StartExecutionCommand);
  });

  it('treats ExecutionAlreadyExists from a racing start as the existing execution', async () => {
    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'no', ...meta }));
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', ...meta }));

    const started = await starter().start(NAME, INPUT);

    expect(started).toEqual({ executionArn: EXECUTION, alreadyExisted: true });
  });

  it('turns any other failure, and an unknown pipe, into ExecutionStartError', async () => {
    sfn.on(DescribeExecutionCommand).rejects(new Error('Rate exceeded'));

    await expect(starter().start(NAME, INPUT)).rejects.toBeInstanceOf(ExecutionStartError);
    await expect(starter().start(NAME, { ...INPUT, pipe: 'lambda-canary' })).rejects.toThrow(
      'no state machine is deployed for pipe lambda-canary',
    );
  });
});

describe('cached Secrets Manager reader', () => {
  it('reads once per TTL, shares concurrent first reads, and re-reads after the TTL', async () => {
    let now = 0;
    secrets.on(GetSecretValueCommand, { SecretId: 'vouch/webhook' }).resolves({ SecretString: 's3cret' });
    const read = createCachedSecretReader({
      client: new SecretsManagerClient({}),
      secretId: 'vouch/webhook',
      ttlMs: 1000,
      now: () => now,
    });

    const first = await Promise.all([read(), read(), read()]);
    now = 999;
    const cached = await read();
    now = 1000;
    const reread = await read();

    expect([...first, cached, reread]).toEqual(Array(5).fill('s3cret'));
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('raises WebhookSecretError for a missing or empty secret, and does not cache the failure', async () => {
    secrets
      .on(GetSecretValueCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'gone', ...meta }))
      .resolvesOnce({ SecretString: '' })
      .resolves({ SecretString: 'back' });
    const read = createCachedSecretReader({
      client: new SecretsManagerClient({}),
      secretId: 'vouch/webhook',
    });

    await expect(read()).rejects.toThrow(new WebhookSecretError('secret vouch/webhook does not exist'));
    await expect(read()).rejects.toThrow('secret vouch/webhook has no SecretString value');
    await expect(read()).resolves.toBe('back');
  });
});

describe('GitHub contents reader', () => {
  const respond = (status: number, text = '') => {
    const calls: { url: string; init: RequestInit | undefined }[] = [];
    const fetch = async (url: string | URL | Request, init?: RequestInit) => {
      calls.push({ url: String(url), init });
      return new Response(status === 204 ? null : text, { status });
    };
    return { calls, fetch: fetch as typeof globalThis.fetch };
  };

  it('reads .vouch.yml at the pushed commit with the raw media type and the token', async () => {
    const fake = respond(200, 'pipe: ci\n');
    const read = createGitHubSpecReader({ token: async () => 'ghp_token', fetch: fake.fetch });

    const text = await read(REPO, COMMIT);

    expect(text).toBe('pipe: ci\n');
    expect(fake.calls[0]?.url).toBe(
      `https://api.github.com/repos/acme/shop/contents/.vouch.yml?ref=${COMMIT}`,
    );
    expect(fake.calls[0]?.init?.headers).toMatchObject({
      accept: 'application/vnd.github.raw+json',
      authorization: 'Bearer ghp_token',
    });
  });

  it('answers undefined (no spec) on 404 and SpecReadError on other statuses or network errors', async () => {
    const notFound = createGitHubSpecReader({
      token: async () => 't',
      fetch: respond(404, '{"message":"Not Found"}').fetch,
    });
    const broken = createGitHubSpecReader({ token: async () => 't', fetch: respond(502).fetch });
    const offline = createGitHubSpecReader({
      token: async () => 't',
      fetch: (async () => {
        throw new TypeError('fetch failed');
      }) as typeof fetch,
    });

    await expect(notFound(REPO, COMMIT)).resolves.toBeUndefined();
    await expect(broken(REPO, COMMIT)).rejects.toThrow(
      new SpecReadError(`GitHub answered 502 for ${REPO}/.vouch.yml at ${COMMIT}`),
    );
    await expect(offline(REPO, COMMIT)).rejects.toBeInstanceOf(SpecReadError);
  });
});

describe('GitLab repository files reader', () => {
  const calls: { url: string; init: RequestInit | undefined }[] = [];
  const answer =
    (make: () => Response): typeof globalThis.fetch =>
    async (url, init) => {
      calls.push({ url: String(url), init });
      return make();
    };
  afterEach(() => {
    calls.length = 0;
  });

  it('reads .vouch.yml at the pushed commit through the raw file endpoint, with the token', async () => {
    const read = createGitLabSpecReader({
      token: async () => 'glpat-token',
      fetch: answer(() => new Response('pipe: ci\n', { status: 200 })),
    });

    const text = await read('acme/platform/shop', COMMIT);

    expect(text).toBe('pipe: ci\n');
    expect(calls[0]?.url).toBe(
      `https://gitlab.com/api/v4/projects/acme%2Fplatform%2Fshop/repository/files/.vouch.yml/raw?ref=${COMMIT}`,
    );
    expect(calls[0]?.init?.headers).toMatchObject({ 'private-token': 'glpat-token' });
  });

  const big = 'x'.repeat(300 * 1024);
  const streamed = () =>
    new Response(
      new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(big));
          controller.close();
        },
      }),
      { status: 200 },
    );
  it.each([
    ['GitHub', createGitHubSpecReader, REPO, '{"message":"No commit found for the ref ffff","status":"404"}'],
    ['GitLab', createGitLabSpecReader, 'acme/platform/shop', '{"message":"404 Commit Not Found"}'],
  ] as const)(
    '%s: a 404 for a commit the repository lacks is UnknownCommitError (422), for a file undefined',
    async (_host, create, repo, noCommit) => {
      const reader = (text: string) =>
        create({ token: async () => 't', fetch: answer(() => new Response(text, { status: 404 })) });

      await expect(reader(noCommit)(repo, COMMIT)).rejects.toBeInstanceOf(UnknownCommitError);
      await expect(reader('{"message":"404 File Not Found"}')(repo, COMMIT)).resolves.toBeUndefined();
    },
  );

  it.each([
    ['GitHub', createGitHubSpecReader, REPO],
    ['GitLab', createGitLabSpecReader, 'acme/platform/shop'],
  ] as const)(
    '%s: the same answers and limits (404, other status, too large, offline, token)',
    async (host, create, repo) => {
      const reader = (fetch: typeof globalThis.fetch, token = async () => 't') => create({ token, fetch });
      const at = `${repo}/.vouch.yml at ${COMMIT}`;

      await expect(
        reader(answer(() => new Response('{}', { status: 404 })))(repo, COMMIT),
      ).resolves.toBeUndefined();
      await expect(reader(answer(() => new Response('', { status: 502 })))(repo, COMMIT)).rejects.toThrow(
        new SpecReadError(`${host} answered 502 for ${at}`),
      );
      await expect(
        reader(
          answer(() => new Response(big, { status: 200, headers: { 'content-length': String(big.length) } })),
        )(repo, COMMIT),
      ).rejects.toThrow(new SpecReadError(`${at} is ${big.length} bytes; the limit is 262144`));
      await expect(reader(answer(streamed))(repo, COMMIT)).rejects.toThrow(
        new SpecReadError(`${at} is over 262144 bytes`),
      );
      const offline = (async () => {
        throw new TypeError('fetch failed');
      }) as typeof globalThis.fetch;
      await expect(reader(offline)(repo, COMMIT)).rejects.toThrow(
        new SpecReadError(`${host} did not answer for ${at}`),
      );
      await expect(
        reader(
          answer(() => new Response('')),
          () => Promise.reject(new Error('denied')),
        )(repo, COMMIT),
      ).rejects.toThrow(new SpecReadError('could not read the git token'));
      await expect(reader(answer(() => new Response('')))('acme/../etc', COMMIT)).rejects.toBeInstanceOf(
        SpecReadError,
      );
    },
  );
});
