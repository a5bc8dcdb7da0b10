/**
 * The sweeper on the local platform's target, with real image folders and service processes: runs
 * interrupted after provisioning and after deploying their test environment are swept, a running
 * run's test environment and the image it runs stay, qa's serving image stays, and of the others only
 * the newest N are kept.
 */
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { localSweepPorts } from '../../../lambdas/adapters/local/sweeper.ts';
import { LocalDeployTarget } from '../../../lambdas/adapters/local/target/LocalDeployTarget.ts';
import { liveServiceProcessCount } from '../../../lambdas/adapters/local/target/serviceProcess.ts';
import { type SweepReport, sweep } from '../../../lambdas/core/sweeper/sweep.ts';
import { ImageInUseError } from '../../../lambdas/core/target/errors.ts';
import { ordersRun, ordersTags } from '../target/helpers.ts';

const ORDERS = join(import.meta.dirname, '../../../examples/orders');

describe('the local sweeper', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vouch-sweep-'));
  let now = Date.parse('2026-12-02T08:00:00Z');
  const target = new LocalDeployTarget({
    dataDir: join(dir, 'data'),
    journal: false,
    now: () => new Date(now),
  });

  afterAll(async () => {
    await target.closeAll();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Release n of orders: the example with its own release.json, so each is new content. */
  const bake = async (n: number) => {
    now += 10 * 60_000;
    const source = join(dir, `release-${n}`);
    cpSync(ORDERS, source, { recursive: true });
    writeFileSync(join(source, 'release.json'), JSON.stringify({ errorRate: 0, extraLatencyMs: n }));
    return target.bake({ service: 'orders', source, run: ordersRun, tags: ordersTags });
  };
  const test = (runKey: string) =>
    target.provision('orders', 'test', { ephemeral: true, runKey, tags: ordersTags });

  it('removes what ended runs left and keeps what serves, what runs and the newest N', async () => {
    const r1 = await bake(1);
    const r2 = await bake(2);
    const r3 = await bake(3);
    const qa = await target.provision('orders', 'qa', { ephemeral: false, tags: ordersTags });
    await target.deploy(r3, qa, { slot: 'baseline', version: 3 });
    const r4 = await bake(4);
    await target.deploy(r4, await test('run-a'), { slot: 'baseline', version: 4 }); // run A crashed after deploy-test
    const r5 = await bake(5);
    await test('run-b'); // run B was stopped right after provision-test
    await target.deploy(r5, await test('run-c'), { slot: 'baseline', version: 5 }); // run C is running
    now += 30 * 60_000;
    const processesBefore = liveServiceProcessCount();
    await expect(target.removeImage(r3.id)).rejects.toBeInstanceOf(ImageInUseError);

    const records: SweepReport[] = [];
    const report = await sweep(
      localSweepPorts({
        target,
        runningExecutions: () => ['run-c'],
        record: async (r) => {
          records.push(r);
        },
        now: () => new Date(now),
      }),
      { keepImages: 1 },
    );

    expect(report.failed).toEqual([]);
    expect(report.removed.map((d) => d.resource.id).sort()).toEqual(
      [r1.id, r2.id, 'orders.test.run-a', 'orders.test.run-b'].sort(),
    );
    expect(
      target
        .list()
        .map((e) => e.id)
        .sort(),
    ).toEqual(['orders.qa', 'orders.test.run-c']);
    expect((await target.images()).map((i) => i.id).sort()).toEqual([r3.id, r4.id, r5.id].sort());
    expect(existsSync(join(target.imagesDir, r1.id))).toBe(false);
    // Run A's service process went with its environment; qa's and run C's still serve.
    expect(liveServiceProcessCount()).toBe(processesBefore - 1);
    const qaServes = await fetch(`${qa.proxyUrl}/health`);
    expect(qaServes.headers.get('x-vouch-version')).toBe('3');
    expect(records).toEqual([report]);
  });
});
