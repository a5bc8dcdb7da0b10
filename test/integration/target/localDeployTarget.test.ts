import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDeployTarget } from '../../../lambdas/adapters/local/target/LocalDeployTarget.ts';
import { readResourceJournal } from '../../../lambdas/adapters/local/target/resourceJournal.ts';
import { liveServiceProcessCount } from '../../../lambdas/adapters/local/target/serviceProcess.ts';
import {
  EnvironmentNotFoundError,
  ImageNotFoundError,
  InvalidWeightError,
  NoBaselineError,
  NoCanaryError,
  ServiceStartError,
} from '../../../lambdas/core/target/errors.ts';
import type { Image, SlotRequest } from '../../../lambdas/core/target/port.ts';
import { SlotSampleRecorder } from '../../../lambdas/core/target/slotEvidence.ts';
import { eventually, isAlive, ordersRun, ordersTags, sendRequests, tryConnect } from './helpers.ts';

const ORDERS = join(import.meta.dirname, '../../../examples/orders');
const FAULTY = join(import.meta.dirname, '../../../examples/orders-faulty');

describe('LocalDeployTarget with the orders example', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'vouch-target-'));
  const v2Overlay = mkdtempSync(join(tmpdir(), 'vouch-orders-v2-'));
  const seen: SlotRequest[] = [];
  const target = new LocalDeployTarget({
    dataDir,
    onRequest: (request) => seen.push(request),
    stopGraceMs: 500,
    health: { attempts: 100, intervalMs: 50 },
  });
  const recorder = new SlotSampleRecorder();
  target.addRequestObserver(recorder.observe);
  let v1: Image;
  let v2: Image;

  beforeAll(async () => {
    // v2 is healthy but different content, as a new commit would be.
    writeFileSync(join(v2Overlay, 'CHANGELOG.md'), 'v2: nothing visible changed\n');
    v1 = await target.bake({ service: 'orders', source: ORDERS, run: ordersRun, tags: ordersTags });
    v2 = await target.bake({
      service: 'orders',
      source: ORDERS,
      overlays: [v2Overlay],
      run: ordersRun,
      tags: ordersTags,
    });
  });

  afterAll(async () => {
    await target.closeAll();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(v2Overlay, { recursive: true, force: true });
  });

  it('bakes the same content to the same image id without copying it again', async () => {
    // Prepare
    const serverCopy = join(v1.location, 'server.mjs');
    const firstCopy = statSync(serverCopy);
    // Act
    const again = await target.bake({ service: 'orders', source: ORDERS, run: ordersRun, tags: ordersTags });
    const faulty = await target.bake({
      service: 'orders',
      source: ORDERS,
      overlays: [FAULTY],
      run: ordersRun,
      tags: ordersTags,
    });
    const startedOtherwise = await target.bake({
      service: 'orders',
      source: ORDERS,
      run: { command: 'node server.mjs', healthPath: '/orders' },
      tags: ordersTags,
    });
    // Assess
    expect(again.id).toBe(v1.id);
    expect(startedOtherwise.id).not.toBe(v1.id);
    expect(v1.id).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(serverCopy).ino).toBe(firstCopy.ino);
    expect(statSync(serverCopy).mtimeMs).toBe(firstCopy.mtimeMs);
    expect(v2.id).not.toBe(v1.id);
    expect(faulty.id).not.toBe(v1.id);
    expect(JSON.parse(await readFile(join(faulty.location, 'release.json'), 'utf8'))).toMatchObject({
      extraLatencyMs: 60,
    });
  });

  it('splits traffic exactly by the canary weight and attributes every request to its slot', async () => {
    // Prepare
    const env = await target.provision('orders', 'test', { ephemeral: true, tags: ordersTags });
    await target.deploy(v1, env, { slot: 'baseline', version: 1 });
    await target.deploy(v2, env, { slot: 'canary', version: 2, weight: 20 });
    seen.length = 0;
    // Act
    const answers = await sendRequests(`${env.proxyUrl}/orders`, 500);
    // Assess: smooth weighted round-robin is deterministic, so the split is exact.
    const canary = answers.filter((a) => a.slot === 'canary');
    expect(canary).toHaveLength(100);
    expect(canary.every((a) => a.version === '2')).toBe(true);
    expect(answers.filter((a) => a.slot === 'baseline').every((a) => a.version === '1')).toBe(true);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(seen).toHaveLength(500);
    expect(seen.filter((r) => r.slot === 'canary')).toHaveLength(100);
    const judged = recorder.samples(env.id, 0, Date.now() + 1, 3600);
    const total = (periods: typeof judged.canary, key: 'requests' | 'errors') =>
      periods.reduce((sum, p) => sum + p[key], 0);
    expect([total(judged.canary, 'requests'), total(judged.canary, 'errors')]).toEqual([100, 0]);
    expect(total(judged.baseline, 'requests')).toBe(400);
    expect(seen[0]).toMatchObject({
      service: 'orders',
      environment: 'test',
      environmentId: env.id,
      path: '/orders',
      method: 'GET',
      status: 200,
    });
    expect(
      seen.every((r) => r.latencyMs >= 0 && (r.slot === 'canary' ? r.image === v2.id : r.image === v1.id)),
    ).toBe(true);
    const described = await target.describe(env);
    expect(described.weight).toBe(20);
    expect(described.canary?.version).toBe('2');
    await target.destroy(env);
  });

  it('forwards method, headers and body to the slot', async () => {
    // Prepare
    const env = await target.provision('orders', 'test', { ephemeral: true, tags: ordersTags });
    await target.deploy(v1, env, { slot: 'baseline', version: 7 });
    // Act
    const created = await fetch(`${env.proxyUrl}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ item: 'kettle', quantity: 3 }),
    });
    const order = (await created.json()) as { id: string; item: string };
    const read = await fetch(`${env.proxyUrl}/orders/${order.id}`);
    const missing = await fetch(`${env.proxyUrl}/orders/nope`);
    await missing.arrayBuffer();
    // Assess
    expect(created.status).toBe(201);
    expect(created.headers.get('x-vouch-slot')).toBe('baseline');
    expect(created.headers.get('x-vouch-version')).toBe('7');
    expect(created.headers.get('x-service-version')).toBe('7');
    expect(order.item).toBe('kettle');
    expect(await read.json()).toMatchObject({ id: order.id, item: 'kettle', quantity: 3 });
    expect(missing.status).toBe(404);
    await target.destroy(env);
  });

  it('rolls back at once: the canary is stopped and all traffic goes to the baseline', async () => {
    // Prepare
    const env = await target.provision('orders', 'test', { ephemeral: true, tags: ordersTags });
    await target.deploy(v1, env, { slot: 'baseline', version: 1 });
    const withCanary = await target.deploy(v2, env, { slot: 'canary', version: 2, weight: 50 });
    const canaryUrl = withCanary.canary?.url as string;
    const canaryPid = withCanary.canary?.pid as number;
    expect(await tryConnect(canaryUrl)).toBe('connected');
    // Act
    const after = await target.rollback(env);
    const answers = await sendRequests(`${env.proxyUrl}/orders`, 50);
    // Assess
    expect(after.canary).toBeUndefined();
    expect(after.weight).toBe(0);
    expect(isAlive(canaryPid)).toBe(false);
    expect(await tryConnect(canaryUrl)).toBe('ECONNREFUSED');
    expect(answers.every((a) => a.slot === 'baseline' && a.version === '1' && a.status === 200)).toBe(true);
    // A second rollback has nothing to do.
    expect((await target.rollback(env)).baseline?.version).toBe('1');
    await target.destroy(env);
  });

  it('promotes the canary to baseline and stops the old baseline', async () => {
    // Prepare
    const env = await target.provision('orders', 'test', { ephemeral: true, tags: ordersTags });
    const first = await target.deploy(v1, env, { slot: 'baseline', version: 1 });
    await target.deploy(v2, env, { slot: 'canary', version: 2, weight: 10 });
    // Act
    const promoted = await target.promote(env);
    const answers = await sendRequests(`${env.proxyUrl}/health`, 20);
    // Assess
    expect(promoted.baseline?.version).toBe('2');
    expect(promoted.canary).toBeUndefined();
    expect(isAlive(first.baseline?.pid as number)).toBe(false);
    expect(answers.every((a) => a.slot === 'baseline' && a.version === '2')).toBe(true);
    await target.destroy(env);
  });

  it('updates a lasting environment in place and destroys everything with its tags recorded', async () => {
    // Prepare
    const prod = await target.provision('orders', 'prod', { ephemeral: false, tags: ordersTags });
    const first = await target.deploy(v1, prod, { slot: 'baseline', version: 1 });
    // Act: a second provision finds the same environment; a baseline deploy replaces the process.
    const again = await target.provision('orders', 'prod', { ephemeral: false, tags: ordersTags });
    const replaced = await target.deploy(v2, again, { slot: 'baseline', version: 2 });
    const withCanary = await target.deploy(v1, prod, { slot: 'canary', version: 3, weight: 5 });
    await target.destroy(prod);
    // Assess
    expect(again.id).toBe('orders.prod');
    expect(again.proxyUrl).toBe(prod.proxyUrl);
    expect(isAlive(first.baseline?.pid as number)).toBe(false);
    expect(isAlive(replaced.baseline?.pid as number)).toBe(false);
    expect(isAlive(withCanary.canary?.pid as number)).toBe(false);
    expect(await tryConnect(prod.proxyUrl)).toBe('ECONNREFUSED');
    await expect(target.describe(prod)).rejects.toThrow(EnvironmentNotFoundError);
    await expect(target.destroy(prod)).resolves.toBeUndefined();
    const records = target.resources();
    const prodRecords = records.filter((r) => r.environment === 'prod');
    expect(prodRecords.map((r) => r.kind).sort()).toEqual(['environment', 'process', 'process', 'process']);
    expect(prodRecords.every((r) => r.endedAt !== undefined)).toBe(true);
    // Every run-time create carries the three cost tags, in memory and in the journal on disk.
    expect(records.filter((r) => r.kind === 'image').length).toBeGreaterThanOrEqual(2);
    for (const record of [...records, ...readResourceJournal(join(dataDir, 'resources.jsonl'))]) {
      expect(record.tags).toEqual(ordersTags);
    }
    expect(
      readResourceJournal(join(dataDir, 'resources.jsonl')).filter((r) => r.environment === 'prod'),
    ).toEqual(prodRecords);
  });

  it('refuses what it cannot do, with typed errors', async () => {
    // Prepare
    const env = await target.provision('orders', 'test', {
      ephemeral: true,
      tags: ordersTags,
      runKey: 'refusals',
    });
    // Act + Assess
    await expect(target.deploy(v2, env, { slot: 'canary', version: 2, weight: 10 })).rejects.toThrow(
      NoBaselineError,
    );
    await expect(
      target.deploy({ id: 'f'.repeat(64) }, env, { slot: 'baseline', version: 1 }),
    ).rejects.toThrow(ImageNotFoundError);
    await target.deploy(v1, env, { slot: 'baseline', version: 1 });
    await expect(target.shiftWeight(env, 10)).rejects.toThrow(NoCanaryError);
    await expect(target.promote(env)).rejects.toThrow(NoCanaryError);
    await expect(target.shiftWeight(env, 101)).rejects.toThrow(InvalidWeightError);
    expect(
      (await target.provision('orders', 'test', { ephemeral: true, tags: ordersTags, runKey: 'refusals' }))
        .id,
    ).toBe(env.id);
    await target.destroy(env);
  });

  it('fails a deploy whose service never becomes healthy, leaving no process behind', async () => {
    // Prepare
    const strict = new LocalDeployTarget({
      dataDir,
      journal: false,
      health: { attempts: 5, intervalMs: 20 },
    });
    const unhealthy = await strict.bake({
      service: 'orders',
      source: ORDERS,
      run: { command: 'node server.mjs', healthPath: '/no-such-path' },
      tags: ordersTags,
    });
    const crashing = await strict.bake({
      service: 'orders',
      source: ORDERS,
      run: { command: 'node no-such-file.mjs' },
      tags: ordersTags,
    });
    const env = await strict.provision('orders', 'test', { ephemeral: true, tags: ordersTags });
    const before = liveServiceProcessCount();
    // Act + Assess
    await expect(strict.deploy(unhealthy, env, { slot: 'baseline', version: 1 })).rejects.toThrow(
      /not healthy at \/no-such-path after 5 attempts/,
    );
    await expect(strict.deploy(crashing, env, { slot: 'baseline', version: 1 })).rejects.toThrow(
      ServiceStartError,
    );
    expect(await eventually(() => liveServiceProcessCount() === before)).toBe(true);
    expect((await strict.describe(env)).baseline).toBeUndefined();
    await strict.closeAll();
  });
});
