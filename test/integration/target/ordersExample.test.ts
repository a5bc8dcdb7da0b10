import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalDeployTarget } from '../../../lambdas/adapters/local/target/LocalDeployTarget.ts';
import { ordersRun, ordersTags, sendRequests } from './helpers.ts';

const ORDERS = join(import.meta.dirname, '../../../examples/orders');
const FAULTY = join(import.meta.dirname, '../../../examples/orders-faulty');

// The same behaviour served two ways: the HTTP server (ec2-canary) and the Lambda handler behind the
// local function URL host (lambda-canary).
describe.each([
  { flavour: 'server.mjs', run: ordersRun },
  {
    flavour: 'lambda.mjs behind a function URL',
    run: { handler: 'lambda.handler', healthPath: '/health' },
  },
])('examples/orders, $flavour', ({ run }) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'vouch-orders-'));
  const target = new LocalDeployTarget({ dataDir, journal: false });

  afterAll(async () => {
    await target.closeAll();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers its API and validates input', async () => {
    // Prepare
    const image = await target.bake({ service: 'orders', source: ORDERS, run, tags: ordersTags });
    const env = await target.provision('orders', 'test', { ephemeral: true, tags: ordersTags });
    await target.deploy(image, env, { slot: 'baseline', version: 4 });
    const url = env.proxyUrl;
    // Act
    const health = await fetch(`${url}/health`);
    const list = await fetch(`${url}/orders`);
    const bad = await fetch(`${url}/orders`, { method: 'POST', body: '{"item": "", "quantity": 0}' });
    const notJson = await fetch(`${url}/orders`, { method: 'POST', body: 'nope' });
    const wrongMethod = await fetch(`${url}/orders/1`, { method: 'DELETE' });
    const created = await fetch(`${url}/orders`, {
      method: 'POST',
      body: '{"item": "beans", "quantity": 3}',
    });
    // Assess
    expect(await health.json()).toEqual({ status: 'ok', version: '4' });
    expect(((await list.json()) as { orders: unknown[] }).orders).toHaveLength(2);
    expect(bad.status).toBe(400);
    expect(notJson.status).toBe(400);
    expect(wrongMethod.status).toBe(405);
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ id: '3', item: 'beans', quantity: 3 });
    await Promise.all([bad.arrayBuffer(), notJson.arrayBuffer(), wrongMethod.arrayBuffer()]);
    await target.destroy(env);
  });

  it('adds 60 ms to every /orders request in the faulty release, and answers them all', async () => {
    // Prepare
    const faulty = await target.bake({
      service: 'orders',
      source: ORDERS,
      overlays: [FAULTY],
      run,
      tags: ordersTags,
    });
    const env = await target.provision('orders', 'test', { ephemeral: true, tags: ordersTags });
    await target.deploy(faulty, env, { slot: 'baseline', version: 3 });
    // Act
    const started = Date.now();
    const orders = await sendRequests(`${env.proxyUrl}/orders`, 5, 1);
    const elapsed = Date.now() - started;
    const health = await sendRequests(`${env.proxyUrl}/health`, 10, 10);
    // Assess: a regression the test environment's checks let through (all 200), only slower. The
    // bound is a floor the service's own setTimeout guarantees, not a speed target.
    expect(orders.every((a) => a.status === 200)).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(5 * 60);
    expect(health.every((a) => a.status === 200)).toBe(true);
    await target.destroy(env);
  });
});
