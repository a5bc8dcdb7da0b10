import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalPlatform } from '../../../lambdas/adapters/local/platform/LocalPlatform.ts';
import { LocalDeployTarget } from '../../../lambdas/adapters/local/target/LocalDeployTarget.ts';
import { liveServiceProcessCount } from '../../../lambdas/adapters/local/target/serviceProcess.ts';
import { ManualClock, ScaledClock } from '../../../lambdas/core/evidence/clock.ts';
import { ServiceStartError } from '../../../lambdas/core/target/errors.ts';
import { eventually, ordersTags } from './helpers.ts';

// A service that accepts connections on its health path and never answers: each probe times out,
// so only the deadline can end the check. It counts the probes it got in probes.log.
const HANGING_SERVICE = `
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';
createServer(() => appendFileSync('probes.log', 'probe\\n')).listen(Number(process.env.PORT), process.env.HOST);
`;

/** The old check gave up after 100 attempts of up to 1.1 s each, whatever the clock: about 110 s. */
const UNSCALED_SECONDS = 100;

describe('the health-check deadline follows the platform clock', () => {
  const root = mkdtempSync(join(tmpdir(), 'vouch-health-'));
  const source = join(root, 'hanging');

  beforeAll(() => {
    mkdirSync(source);
    writeFileSync(join(source, 'server.mjs'), HANGING_SERVICE);
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const bakeHanging = (target: LocalDeployTarget) =>
    target.bake({
      service: 'hanging',
      source,
      run: { command: 'node server.mjs', healthPath: '/health' },
      tags: ordersTags,
    });

  it('fails a service that hangs on /health once the deadline has passed on the clock, not before', async () => {
    // Prepare: virtual time, which moves only when the test says so.
    const clock = new ManualClock(Date.now());
    const target = new LocalDeployTarget({ dataDir: join(root, 'manual'), journal: false, clock });
    const image = await bakeHanging(target);
    const env = await target.provision('hanging', 'test', { ephemeral: true, tags: ordersTags });
    const before = liveServiceProcessCount();
    // Act
    let settled = false;
    const deploy = target.deploy(image, env, { slot: 'baseline', version: 1 });
    deploy.catch(() => undefined).finally(() => (settled = true));
    const probes = () => {
      try {
        return readFileSync(join(image.location, 'probes.log'), 'utf8').split('\n').length - 1;
      } catch {
        return 0;
      }
    };
    // Several probes have timed out in real time, and the check goes on: its deadline is on the clock.
    expect(await eventually(() => probes() >= 3, 200)).toBe(true);
    expect(settled).toBe(false);
    clock.advance(299_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(settled).toBe(false);
    clock.advance(1_000);
    // Assess
    await expect(deploy).rejects.toThrow(ServiceStartError);
    await expect(deploy).rejects.toThrow(
      /not healthy at \/health within its deadline of 300 s of platform time \(\d+ attempts/,
    );
    expect(await eventually(() => liveServiceProcessCount() === before)).toBe(true);
    await target.closeAll();
  }, 60_000);

  it('on a clock running 100x, gives up after the scaled deadline (3 s), not after minutes', async () => {
    // Prepare
    const target = new LocalDeployTarget({
      dataDir: join(root, 'scaled'),
      journal: false,
      clock: new ScaledClock(100),
    });
    const image = await bakeHanging(target);
    const env = await target.provision('hanging', 'test', { ephemeral: true, tags: ordersTags });
    // Act
    const started = Date.now();
    const failure = await target.deploy(image, env, { slot: 'baseline', version: 1 }).catch((e: Error) => e);
    const seconds = (Date.now() - started) / 1000;
    // Assess: a bound, not a speed target: an unscaled check would take 300 s (or the old ~110 s).
    expect(failure).toBeInstanceOf(ServiceStartError);
    expect((failure as Error).message).toMatch(/within its deadline of 300 s of platform time/);
    expect(seconds).toBeLessThan(UNSCALED_SECONDS / 2);
    await target.closeAll();
  }, 90_000);

  it('gets the clock from the local platform: a 120x platform fails a hanging service in seconds', async () => {
    // Prepare
    const cwd = join(root, 'platform');
    mkdirSync(cwd);
    const platform = await LocalPlatform.start({ cwd, timeScale: 120, persist: false, out: () => {} });
    try {
      const image = await bakeHanging(platform.target);
      const env = await platform.target.provision('hanging', 'test', { ephemeral: true, tags: ordersTags });
      // Act
      const started = Date.now();
      const failure = await platform.target
        .deploy(image, env, { slot: 'baseline', version: 1 })
        .catch((e: Error) => e);
      const seconds = (Date.now() - started) / 1000;
      // Assess
      expect((failure as Error).message).toMatch(/within its deadline of 300 s of platform time/);
      expect(seconds).toBeLessThan(UNSCALED_SECONDS / 2);
    } finally {
      await platform.close();
    }
  }, 90_000);
});
