// The twin leaves nothing in the temporary directory once stopped: the CodeBuild fake's home, the S3
// fake's objects, the service logs, the per-commit copies of a published package's or an artifact's
// source and the working directory of an instance running overlays go with it.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { builderUserData } from '../../lambdas/adapters/aws/target/userData.ts';
import { startTwin, TWIN_ROOT } from '../../lambdas/twin/TwinPlatform.ts';
import type { SynthesizedStack } from '../../lambdas/twin/template.ts';
import { invokeTask, lambdaRun, packageOf } from './support/lambdaRun.ts';
import { exampleStacks, until } from './support/twinFixture.ts';

const COMMIT = '7'.repeat(40);
const OVERLAY = '8'.repeat(40);
const RAW = { command: {}, client: {} };
const savedTmpdir = process.env.TMPDIR;
let stacks: SynthesizedStack[];
let fresh: string | undefined;

beforeAll(async () => {
  stacks = await exampleStacks();
}, 120_000);

afterEach(() => {
  if (savedTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmpdir;
  if (fresh) rmSync(fresh, { recursive: true, force: true });
  fresh = undefined;
});

describe('the twin’s temporary files', () => {
  it('are all removed when the twin stops, after a Lambda release published a commit’s code', async () => {
    // Prepare: the system's temporary directory is an empty folder of this test's.
    fresh = mkdtempSync(join(tmpdir(), 'twin-tmpdir-'));
    process.env.TMPDIR = fresh;
    const twin = await startTwin({
      stacks,
      commitSources: new Map([[COMMIT, [`${TWIN_ROOT}examples/orders`]]]),
    });
    const run = await lambdaRun(twin, COMMIT, 'twin-tmp-1', { build: packageOf(twin, COMMIT) });
    await invokeTask(twin, 'lambda-', 'bake', {}, run);
    const made = readdirSync(fresh);

    // Act
    await twin.stop();

    // Assess: the twin did make its files there, and none is left.
    expect(made).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^vouch-twin-logs-/),
        expect.stringMatching(/^vouch-twin-codebuild-/),
        expect.stringMatching(/^vouch-twin-fn-7777777-/),
      ]),
    );
    expect(readdirSync(fresh)).toEqual([]);
  }, 120_000);

  it('are all removed when the twin stops with an instance running a release with an overlay', async () => {
    // Prepare: a builder bakes the service with an overlay; an instance of the image runs it.
    fresh = mkdtempSync(join(tmpdir(), 'twin-tmpdir-'));
    process.env.TMPDIR = fresh;
    const twin = await startTwin({
      stacks,
      commitSources: new Map([
        [COMMIT, [`${TWIN_ROOT}examples/orders`]],
        [OVERLAY, [`${TWIN_ROOT}examples/orders-faulty`]],
      ]),
      ec2Timings: { bootMs: 0, builderRunMs: 0, imageMs: 0 },
    });
    const ec2 = twin.ec2.fake();
    const builder = (await ec2.handle(
      'RunInstances',
      {
        ImageId: 'ami-base',
        InstanceInitiatedShutdownBehavior: 'stop',
        UserData: Buffer.from(
          builderUserData({
            service: 'orders',
            artifacts: [`s3://artifacts/orders/${COMMIT}.tar.gz`, `s3://artifacts/orders/${OVERLAY}.tar.gz`],
            run: { command: 'node server.mjs', healthPath: '/health' },
            port: 8080,
          }),
        ).toString('base64'),
      },
      RAW,
    )) as { Instances: { InstanceId: string }[] };
    const { ImageId } = (await ec2.handle(
      'CreateImage',
      { InstanceId: builder.Instances[0]?.InstanceId, Name: 'orders-1' },
      RAW,
    )) as { ImageId: string };
    await ec2.handle('RunInstances', { ImageId, MinCount: 1 }, RAW);
    await until(() => twin.instances.running.length === 1, 30_000, 'the instance serving');
    const made = readdirSync(fresh);

    // Act
    await twin.stop();

    // Assess
    expect(made).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^vouch-twin-7777777-/),
        expect.stringMatching(/^vouch-twin-8888888-/),
        expect.stringMatching(/^vouch-twin-i-/),
        expect.stringMatching(/^vouch-twin-logs-/),
      ]),
    );
    expect(readdirSync(fresh)).toEqual([]);
  }, 120_000);
});
