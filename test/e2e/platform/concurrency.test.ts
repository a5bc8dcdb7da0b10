import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalPlatform } from '../../../lambdas/adapters/local/platform/LocalPlatform.ts';
import { parseServiceSpec } from '../../../lambdas/core/spec/index.ts';
import type { SlotRequest } from '../../../lambdas/core/target/port.ts';
import { pushToTrunk } from '../../../scripts/platform/story.ts';
import {
  inconsistencies,
  prepareFastExample,
  proxiesOf,
  recordRequests,
  SERVICE,
  waitFor,
} from './consistency.ts';

/**
 * Pushes that meet on one environment, and a person rolling a canary back, on the whole local
 * platform (webhook, engine, dynalite, processes behind the weighted proxy, bots, alarms). After each:
 * `where` is what the proxies serve, no PROMOTED for a version that did not serve, no lock held, no
 * run left RUNNING.
 */
describe('concurrent pushes and operator actions on the local platform', () => {
  let cwd: string;
  let platform: LocalPlatform;
  let dir: string;
  let requests: SlotRequest[];
  const lines: string[] = [];

  const runOf = (execution: string) => {
    const run = platform.executions.get(execution);
    if (!run) throw new Error(`no run ${execution}`);
    return run;
  };
  const events = async (version: number) =>
    (await platform.builds.listEvents(SERVICE, version)).flatMap((e) =>
      e.kind === 'PROMOTION' ? [e.label] : [],
    );
  const versionOfExecution = async (execution: string) =>
    (await platform.builds.listBuilds(SERVICE, { limit: 100 })).items.find((b) => b.execution === execution)
      ?.version as number;
  const check = async () =>
    inconsistencies({ builds: platform.builds, proxies: proxiesOf(platform), requests });
  const change = (text: string) => appendFileSync(join(dir, 'CHANGELOG.md'), `- ${text}\n`);

  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'vouch-concurrency-'));
    platform = await LocalPlatform.start({ cwd, timeScale: 20, persist: false, out: (l) => lines.push(l) });
    requests = recordRequests(platform);
    dir = prepareFastExample(platform);
    await platform.registerService(parseServiceSpec(readFileSync(join(dir, '.vouch.yml'), 'utf8')), dir);
    // The first release: what every later push is judged against.
    const first = await pushToTrunk(platform, dir, 'release 1');
    expect((await runOf(first).done).status, lines.join('\n')).toBe('SUCCEEDED');
  }, 180_000);

  afterAll(async () => {
    await platform?.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('two pushes within a second: one releases, the other waits its turn or is superseded; nothing is rolled back', async () => {
    // Act
    change('two pushes: a');
    const a = await pushToTrunk(platform, dir, 'push a');
    change('two pushes: b');
    const b = await pushToTrunk(platform, dir, 'push b');
    const [ra, rb] = await Promise.all([runOf(a).done, runOf(b).done]);

    // Assess
    const va = await versionOfExecution(a);
    const vb = await versionOfExecution(b);
    expect(vb).toBeGreaterThan(va);
    // The newer push always ends released; the older one either went first or gave way to it.
    expect(rb.status, lines.join('\n')).toBe('SUCCEEDED');
    expect(await events(vb)).toEqual(['PASSED_TEST', 'PROMOTED:qa']);
    if (ra.status === 'FAILED') {
      expect(ra.error).toBe('LockSuperseded');
      expect((await events(va)).filter((l) => l !== 'PASSED_TEST')).toEqual([]);
    } else {
      expect(await events(va)).toEqual(['PASSED_TEST', 'PROMOTED:qa']);
    }
    const where = await platform.builds.whereRuns(SERVICE);
    expect(where.qa?.version).toBe(vb);
    // Each run's test window was its own: keyed by the run, not shared by the two test environments.
    const testWindow = async (version: number) => {
      const done = (await platform.builds.listEvents(SERVICE, version)).find(
        (e) => e.kind === 'TASK' && e.task === 'verify-test' && e.phase === 'done',
      );
      const report = (done?.kind === 'TASK' ? done.report : undefined) as {
        verdict?: { environment?: string };
      };
      return report?.verdict?.environment;
    };
    expect(await testWindow(va)).toBe(`test-${a}`);
    expect(await testWindow(vb)).toBe(`test-${b}`);
    expect(await check()).toEqual([]);
  }, 240_000);

  it('a push during a canary waits for the lock; it never rolls back the canary it found', async () => {
    // Prepare: a push whose qa canary is running.
    change('during a canary: first');
    const first = await pushToTrunk(platform, dir, 'canary in qa');
    await waitFor('a canary in qa', async () => {
      const qa = platform.target.list().find((e) => e.name === 'qa');
      return qa !== undefined && (await platform.target.describe(qa)).canary !== undefined;
    });

    // Act
    change('during a canary: second');
    const second = await pushToTrunk(platform, dir, 'pushed during the canary');
    const [r1, r2] = await Promise.all([runOf(first).done, runOf(second).done]);

    // Assess
    const v1 = await versionOfExecution(first);
    const v2 = await versionOfExecution(second);
    expect([r1.status, r2.status], lines.join('\n')).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(await events(v1)).toEqual(['PASSED_TEST', 'PROMOTED:qa']);
    expect(await events(v2)).toEqual(['PASSED_TEST', 'PROMOTED:qa']);
    // The second run waited in the queue: its lock task was still running when the first promoted qa.
    const promotedQa = (await platform.builds.listEvents(SERVICE, v1)).find(
      (e) => e.kind === 'PROMOTION' && e.label === 'PROMOTED:qa',
    )?.at as string;
    const secondLocked = (await platform.builds.listEvents(SERVICE, v2)).find(
      (e) => e.kind === 'TASK' && e.type === 'lock' && e.environment === 'qa' && e.phase === 'done',
    );
    expect(secondLocked?.kind === 'TASK' && secondLocked.outcome).toBe('SUCCEEDED');
    expect(Date.parse(secondLocked?.at as string)).toBeGreaterThan(Date.parse(promotedQa));
    expect(await check()).toEqual([]);
  }, 240_000);

  it('an operator rollback mid-canary ends the release ROLLED_BACK and fails the run, never PROMOTED', async () => {
    // Prepare
    const before = (await platform.builds.whereRuns(SERVICE)).qa?.version;
    change('rolled back by a person');
    const execution = await pushToTrunk(platform, dir, 'to be rolled back');
    await waitFor('a canary in qa taking traffic', async () => {
      const qa = platform.target.list().find((e) => e.name === 'qa');
      if (!qa) return false;
      const d = await platform.target.describe(qa);
      return d.canary !== undefined && d.weight > 0;
    });

    // Act
    const rolledBack = await platform.rollbackNow(SERVICE, 'qa');
    const result = await runOf(execution).done;

    // Assess
    const version = await versionOfExecution(execution);
    expect(rolledBack.done).toBe(true);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ManualRollback');
    expect(await events(version)).toEqual(['PASSED_TEST', 'ROLLED_BACK:qa']);
    expect((await platform.builds.whereRuns(SERVICE)).qa?.version).toBe(before);
    expect(await check()).toEqual([]);
  }, 180_000);
});
