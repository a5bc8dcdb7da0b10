import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localSource } from '../../../lambdas/adapters/dashboard/localSource.ts';
import { type DashboardServer, startDashboardServer } from '../../../lambdas/adapters/dashboard/server.ts';
import { BuildRepository } from '../../../lambdas/adapters/dynamo/buildRepository.ts';
import { type LocalTable, startLocalTable } from '../../../lambdas/adapters/local/dynalite.ts';
import { commitOf, seedStory } from '../../integration/dashboard/fixtures.ts';
import { launchChromium, openView, pageErrors, screenshot } from './chromium.ts';

/**
 * The buttons of a running execution, in Chromium: `vouch dashboard` over build data written by
 * BuildRepository, its control path the platform API the CLI posts to (here a recording stand-in).
 */
describe('the dashboard buttons', () => {
  let table: LocalTable;
  let dashboard: DashboardServer;
  let platformApi: Server;
  let browser: Browser;
  let page: Page;
  let stateDir: string;
  const posted: { path: string; body: unknown }[] = [];

  beforeAll(async () => {
    table = await startLocalTable();
    const repo = new BuildRepository({ client: table.client, tableName: table.tableName });
    await seedStory(repo, 'orders', 2);
    // v3 is running its qa canary.
    const execution = 'gh-orders-running';
    const { version } = await repo.allocateVersion({ service: 'orders', commit: commitOf(3), execution });
    await repo.recordRunStarted({
      execution,
      service: 'orders',
      version,
      commit: commitOf(3),
      pipeShape: null,
    });
    const base = { execution, service: 'orders', version, environment: 'qa' };
    await repo.recordTaskEvent({
      ...base,
      task: 'canary-verify@20',
      type: 'verify',
      phase: 'start',
      at: new Date().toISOString(),
    });
    platformApi = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => {
        text += c.toString('utf8');
      });
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        if (req.method === 'POST') {
          posted.push({ path: req.url ?? '', body: JSON.parse(text) as unknown });
          res.end(JSON.stringify({ done: true, reason: 'canary v3 stopped; all traffic on v1' }));
        } else res.end(JSON.stringify({ stamp: 'still', now: Date.now() }));
      });
    });
    await new Promise<void>((resolve) => platformApi.listen(0, '127.0.0.1', resolve));
    const apiUrl = `http://127.0.0.1:${(platformApi.address() as AddressInfo).port}`;
    stateDir = mkdtempSync(join(tmpdir(), 'vouch-buttons-'));
    dashboard = await startDashboardServer(localSource({ table, stateDir, apiUrl }));
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await new Promise<void>((resolve) => (platformApi ? platformApi.close(() => resolve()) : resolve()));
    await table?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('rolls back from the execution view through the control path the CLI uses', async () => {
    const errors = pageErrors(page);
    page.on('dialog', (dialog) => void dialog.accept());
    await openView(page, dashboard.url, '#/service/orders/build/3');
    expect(await page.textContent('h2')).toMatch(/orders v3 RUNNING/);
    await page.click('button[data-action="rollback"][data-environment="qa"]');
    await page.waitForFunction(() =>
      /canary v3 stopped/.test(document.getElementById('notice')?.textContent ?? ''),
    );
    expect(posted).toEqual([{ path: '/api/rollback', body: { service: 'orders', environment: 'qa' } }]);
    await screenshot(page, 'controls');
    expect(errors).toEqual([]);
  });
});
