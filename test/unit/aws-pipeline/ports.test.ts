import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  artifactSource,
  artifactUri,
  bucketArtifactSource,
} from '../../../lambdas/adapters/aws/pipeline/artifactSource.ts';
import {
  BakeSourceNotFoundError,
  NotificationTooLargeError,
} from '../../../lambdas/adapters/aws/pipeline/errors.ts';
import { SNS_MAX_MESSAGE_BYTES, snsNotify } from '../../../lambdas/adapters/aws/pipeline/snsNotify.ts';
import type { FetchLike } from '../../../lambdas/core/evidence/botRunner.ts';
import { systemClock } from '../../../lambdas/core/evidence/clock.ts';
import type { MetricSample } from '../../../lambdas/core/evidence/metrics.ts';
import { BotScenarioSchema } from '../../../lambdas/core/evidence/spec.ts';
import { NotificationInvalidError } from '../../../lambdas/core/notify/errors.ts';
import type { NotificationInput } from '../../../lambdas/core/notify/notification.ts';
import { botRuns, LOAD_ROUNDS } from '../../../lambdas/core/pipeline/botRuns.ts';
import type { JsonValue } from '../../../lambdas/core/pipeline/contract.ts';
import { AFTER_VERSION, COMMIT, SERVICE, taskEvent } from './fixtures.ts';

const sns = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:vouch-notifications';

afterAll(() => sns.restore());
beforeEach(() => {
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
});

const notification = (summary: string): NotificationInput => ({
  id: 'gh-1#notify',
  service: 'shop',
  team: 'payments',
  version: 7,
  commit: 'abc',
  environment: 'pipeline',
  event: 'RUN_FAILED',
  verdict: { outcome: 'FAIL', summary },
  window: { start: '2026-03-01T10:00:00.000Z', end: '2026-03-01T10:00:00.000Z' },
});

describe('snsNotify', () => {
  const port = () => snsNotify(sns as unknown as SNSClient, { topicArn: TOPIC });

  it('publishes with an ASCII subject under 100 characters', async () => {
    await port().send({ ...notification('ok'), service: 'shöp' });

    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.Subject).toBe('RUN_FAILED sh?p v7 pipeline');
  });

  it('refuses a notification above the SNS message limit instead of cutting it', async () => {
    const result = port().send(notification('x'.repeat(SNS_MAX_MESSAGE_BYTES)));

    await expect(result).rejects.toThrow(NotificationTooLargeError);
    expect(sns).not.toReceiveCommand(PublishCommand);
  });

  it('refuses an invalid notification before publishing it', async () => {
    const result = port().send({ ...notification('ok'), team: '' });

    await expect(result).rejects.toThrow(NotificationInvalidError);
    expect(sns).not.toReceiveCommand(PublishCommand);
  });
});

describe('botRuns', () => {
  // As the run carries them: the validated `.vouch.yml`, defaults applied.
  const scenarios = [
    BotScenarioSchema.parse({ name: 'browse', steps: [{ path: '/items' }] }),
    BotScenarioSchema.parse({
      name: 'checkout',
      steps: [{ path: '/cart' }, { method: 'POST', path: '/pay' }],
    }),
  ] as unknown as JsonValue[];
  const fetchAnswering = (status: (url: string) => number) => {
    const urls: string[] = [];
    const fetch: FetchLike = async (url) => {
      urls.push(url);
      return { status: status(url), headers: { get: () => 'application/json' }, text: async () => '{}' };
    };
    return { fetch, urls };
  };

  it('runs every scenario once in functional mode, counting requests and failures, with metrics', async () => {
    // Prepare
    const { fetch, urls } = fetchAnswering((url) => (url.endsWith('/pay') ? 500 : 200));
    const samples: MetricSample[] = [];
    const port = botRuns({ fetch, clock: systemClock, sink: { put: async (s) => void samples.push(...s) } });
    const run = taskEvent('bots', { out: AFTER_VERSION, config: { bots: { scenarios } } }).run;

    // Act
    const result = await port.runOnce({
      run,
      environment: 'test',
      baseUrl: 'http://env',
      mode: 'functional',
    });

    // Assess
    expect(result.requests).toBe(3);
    expect(result.failures).toBe(1);
    expect(urls.sort()).toEqual(['http://env/cart', 'http://env/items', 'http://env/pay']);
    expect(result.report).toContainEqual(expect.objectContaining({ scenario: 'checkout', ok: false }));
    expect(samples.length).toBeGreaterThan(0);
    expect(samples[0]?.dimensions).toMatchObject({ service: 'shop', environment: 'test', version: '7' });
  });

  it(`runs each scenario ${LOAD_ROUNDS} times in load mode`, async () => {
    const { fetch } = fetchAnswering(() => 200);
    const run = taskEvent('bots', { out: AFTER_VERSION, config: { bots: { scenarios } } }).run;

    const result = await botRuns({ fetch, clock: systemClock }).runOnce({
      run,
      environment: 'test',
      baseUrl: 'http://env',
      mode: 'load',
    });

    expect(result).toMatchObject({ requests: 3 * LOAD_ROUNDS, failures: 0 });
  });

  it('reports no requests when the service has no bots (the task then fails for no evidence)', async () => {
    const { fetch } = fetchAnswering(() => 200);
    const run = taskEvent('bots').run;

    const result = await botRuns({ fetch, clock: systemClock }).runOnce({
      run,
      environment: 'test',
      baseUrl: 'http://env',
      mode: 'functional',
    });

    expect(result.requests).toBe(0);
  });
});

describe('artifactSource', () => {
  it('bakes the artifact a task reported in S3', () => {
    const run = taskEvent('bake', {
      out: { ...AFTER_VERSION, build: { artifact: 's3://artifacts/shop/abc.tgz' } },
    }).run;

    expect(artifactSource(run)).toEqual({ source: 's3://artifacts/shop/abc.tgz' });
  });

  it('refuses to guess a source when no task reported one and no bucket is known', () => {
    expect(() => artifactSource(taskEvent('bake', { out: AFTER_VERSION }).run)).toThrow(
      BakeSourceNotFoundError,
    );
  });

  it("without a reported artifact, bakes the build step's upload for the commit in the artifact bucket", () => {
    // Prepare: a pipe without a build task (ec2-canary starts with bake)
    const run = taskEvent('bake', { out: AFTER_VERSION }).run;

    // Act
    const { source } = bucketArtifactSource('vouch-artifacts-111122223333-eu-west-1')(run);

    // Assess
    expect(source).toBe(`s3://vouch-artifacts-111122223333-eu-west-1/${SERVICE}/${COMMIT}.tar.gz`);
    expect(source).toBe(artifactUri('vouch-artifacts-111122223333-eu-west-1', SERVICE, COMMIT));
  });

  it('prefers the artifact a task reported over the conventional one', () => {
    const run = taskEvent('bake', {
      out: { ...AFTER_VERSION, build: { buildId: 'b-1', artifact: 's3://elsewhere/shop/abc.tgz' } },
    }).run;

    expect(bucketArtifactSource('vouch-artifacts')(run)).toEqual({ source: 's3://elsewhere/shop/abc.tgz' });
  });

  it('ignores outputs without an s3:// artifact when deriving the source', () => {
    const run = taskEvent('bake', {
      out: { ...AFTER_VERSION, build: { buildId: 'b-1', artifact: '/local/path' } },
    }).run;

    expect(artifactSource(run, { bucket: 'vouch-artifacts' }).source).toBe(
      `s3://vouch-artifacts/${SERVICE}/${COMMIT}.tar.gz`,
    );
  });
});
