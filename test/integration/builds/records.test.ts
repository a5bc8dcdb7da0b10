// Events, promotions, queries, deploy locks and windows against dynalite started here.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuildRepository } from '../../../lambdas/adapters/dynamo/buildRepository.ts';
import { DynamoWindowStore } from '../../../lambdas/adapters/dynamo/windowStore.ts';
import { openLocalTable } from '../../../lambdas/adapters/local/buildData.ts';
import { type LocalTable, startLocalTable } from '../../../lambdas/adapters/local/dynalite.ts';
import {
  LockHeldError,
  ReportTooLargeError,
  UnknownBuildError,
} from '../../../lambdas/core/builds/errors.ts';

const SHA = 'c'.repeat(40);
let table: LocalTable;
const clock = { now: new Date('2030-06-01T12:00:00Z') };

function repository(options: { maxReportBytes?: number; eventTtlDays?: number } = {}): BuildRepository {
  return new BuildRepository({
    client: table.client,
    tableName: table.tableName,
    now: () => clock.now,
    ...options,
  });
}

function at(secondsAfter: number): string {
  return new Date(clock.now.getTime() + secondsAfter * 1000).toISOString();
}

beforeAll(async () => {
  table = await startLocalTable();
});

afterAll(async () => {
  await table.close();
});

describe('a build timeline', () => {
  it('keeps run, task and promotion events in order, with the pipe shape the run used', async () => {
    // Prepare
    const repo = repository();
    await repo.registerService({ service: 'shop', team: 'web', solution: 'retail', repo: 'org/shop' });
    const { version } = await repo.allocateVersion({ service: 'shop', commit: SHA, execution: 'shop-run-1' });
    const pipeShape = { main: [{ stage: 'build', tasks: ['build'] }] };

    // Act
    await repo.recordRunStarted({
      execution: 'shop-run-1',
      service: 'shop',
      version,
      commit: SHA,
      pipeShape,
      at: at(0),
    });
    const base = { execution: 'shop-run-1', service: 'shop', version, task: 'unit', type: 'test' };
    await repo.recordTaskEvent({
      ...base,
      phase: 'done',
      outcome: 'FAILED',
      at: at(2),
      report: { failed: 3 },
    });
    await repo.recordTaskEvent({ ...base, phase: 'start', environment: 'test', at: at(1) });
    await repo.recordPromotion({
      service: 'shop',
      version,
      environment: 'test',
      kind: 'PASSED_TEST',
      evidence: {},
      at: at(3),
    });
    await repo.recordRunFinished({
      execution: 'shop-run-1',
      service: 'shop',
      version,
      outcome: 'FAILED',
      at: at(4),
    });

    // Assess
    const events = await repo.listEvents('shop', version);
    expect(
      events.map((e) =>
        e.kind === 'TASK'
          ? `${e.task}:${e.phase}`
          : e.kind === 'RUN'
            ? `run:${e.phase}`
            : e.kind === 'PROMOTION'
              ? e.label
              : e.kind,
      ),
    ).toEqual(['run:start', 'unit:start', 'unit:done', 'PASSED_TEST', 'run:done']);
    const build = await repo.getBuild('shop', version);
    expect(build?.pipeShape).toEqual(pipeShape);
    expect(build?.status).toBe('FAILED');
    const failures = await repo.recentFailures('web');
    expect(failures.items).toEqual([
      expect.objectContaining({ service: 'shop', version, task: 'unit', report: { failed: 3 } }),
    ]);
  });

  it('hides events past their retention but keeps versions and promotions', async () => {
    // Prepare
    const repo = repository({ eventTtlDays: 1 });
    await repo.registerService({ service: 'old', team: 'web', solution: 'retail', repo: 'org/old' });
    const { version } = await repo.allocateVersion({ service: 'old', commit: SHA, execution: 'old-run-1' });
    await repo.recordTaskEvent({
      execution: 'old-run-1',
      service: 'old',
      version,
      task: 'b',
      type: 'build',
      phase: 'start',
      at: at(0),
    });
    await repo.recordPromotion({
      service: 'old',
      version,
      environment: 'qa',
      kind: 'PROMOTED',
      evidence: { p99: 120 },
      at: at(1),
    });

    // Act
    clock.now = new Date(clock.now.getTime() + 2 * 86_400_000);
    const events = await repo.listEvents('old', version);
    clock.now = new Date(clock.now.getTime() - 2 * 86_400_000);

    // Assess
    expect(events.map((e) => e.kind)).toEqual(['PROMOTION']);
    expect((await repo.listBuilds('old')).items.map((b) => b.version)).toEqual([version]);
  });

  it('refuses an oversized report with a clear error and writes nothing', async () => {
    // Prepare
    const repo = repository({ maxReportBytes: 1024 });
    await repo.registerService({ service: 'big', team: 'web', solution: 'retail', repo: 'org/big' });
    const { version } = await repo.allocateVersion({ service: 'big', commit: SHA, execution: 'big-run-1' });

    // Act
    const act = repo.recordTaskEvent({
      execution: 'big-run-1',
      service: 'big',
      version,
      task: 'load',
      type: 'bots',
      phase: 'done',
      outcome: 'FAILED',
      at: at(0),
      report: { log: 'x'.repeat(2000) },
    });

    // Assess
    await expect(act).rejects.toBeInstanceOf(ReportTooLargeError);
    await expect(act).rejects.toThrow(
      /report of task load is \d+ bytes, over the 1024-byte limit; nothing was written/,
    );
    expect(await repo.listEvents('big', version)).toEqual([]);
    expect((await repo.recentFailures('web')).items.filter((f) => f.service === 'big')).toEqual([]);
  });

  it('refuses events of a build that was never allocated', async () => {
    // Prepare
    const repo = repository();

    // Act
    const act = repo.recordTaskEvent({
      execution: 'x-1',
      service: 'nobody',
      version: 7,
      task: 't',
      type: 'test',
      phase: 'start',
      at: at(0),
    });

    // Assess
    await expect(act).rejects.toBeInstanceOf(UnknownBuildError);
    expect(await repo.listEvents('nobody', 7)).toEqual([]);
  });
});

describe('what runs where', () => {
  it('follows promotions and reverts a rollback of the recorded version', async () => {
    // Prepare
    const repo = repository();
    await repo.registerService({ service: 'api', team: 'platform', solution: 'core', repo: 'org/api' });
    const v1 = await repo.allocateVersion({ service: 'api', commit: SHA, execution: 'api-1' });
    const v2 = await repo.allocateVersion({ service: 'api', commit: 'd'.repeat(40), execution: 'api-2' });

    // Act
    await repo.recordPromotion({
      service: 'api',
      version: v1.version,
      environment: 'qa',
      kind: 'PROMOTED',
      evidence: {},
      at: at(0),
    });
    await repo.recordPromotion({
      service: 'api',
      version: v1.version,
      environment: 'prod',
      kind: 'PROMOTED',
      evidence: {},
      at: at(1),
    });
    await repo.recordPromotion({
      service: 'api',
      version: v2.version,
      environment: 'qa',
      kind: 'PROMOTED',
      evidence: {},
      at: at(2),
    });
    await repo.recordPromotion({
      service: 'api',
      version: v2.version,
      environment: 'qa',
      kind: 'PROMOTED',
      evidence: {},
      at: at(2),
    });
    await repo.recordPromotion({
      service: 'api',
      version: v2.version,
      environment: 'prod',
      kind: 'ROLLED_BACK',
      evidence: { errorRate: 0.2 },
      at: at(3),
    });
    const beforeQaRollback = await repo.whereRuns('api');
    await repo.recordPromotion({
      service: 'api',
      version: v2.version,
      environment: 'qa',
      kind: 'ROLLED_BACK',
      evidence: {},
      at: at(4),
    });

    // Assess
    expect(beforeQaRollback.qa).toMatchObject({ version: 2, previousVersion: 1 });
    expect(beforeQaRollback.prod).toMatchObject({ version: 1, lastRollback: { version: 2 } });
    const after = await repo.whereRuns('api');
    expect(after.qa).toMatchObject({ version: 1, commit: SHA, lastRollback: { version: 2 } });
    const labels = (await repo.listEvents('api', v2.version)).map((e) =>
      e.kind === 'PROMOTION' ? e.label : '',
    );
    expect(labels).toEqual(['PROMOTED:qa', 'ROLLED_BACK:prod', 'ROLLED_BACK:qa']);
    const team = await repo.listTeamBuilds('platform');
    expect(team.items.map((b) => b.version)).toEqual([2, 1]);
  });
});

describe('deploy locks', () => {
  it('lets exactly one of two racing pipelines take the lock', async () => {
    // Prepare
    const repo = repository();
    const request = { service: 'shop', environment: 'qa', ttlSeconds: 600 };

    // Act
    const results = await Promise.allSettled([
      repo.acquireLock({ ...request, owner: 'run-a' }),
      repo.acquireLock({ ...request, owner: 'run-b' }),
    ]);

    // Assess
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]?.reason).toBeInstanceOf(LockHeldError);
    expect(String(lost[0]?.reason.message)).toMatch(/Deploy lock of shop in qa is held by run-/);
  });

  it('hands an expired lock over, and only the owner releases', async () => {
    // Prepare
    const repo = repository();
    await repo.acquireLock({ service: 'shop', environment: 'prod', owner: 'crashed', ttlSeconds: 60 });
    const refused = repo.acquireLock({ service: 'shop', environment: 'prod', owner: 'next', ttlSeconds: 60 });
    await expect(refused).rejects.toBeInstanceOf(LockHeldError);

    // Act
    clock.now = new Date(clock.now.getTime() + 61_000);
    const taken = await repo.acquireLock({
      service: 'shop',
      environment: 'prod',
      owner: 'next',
      ttlSeconds: 60,
    });
    const releasedByOld = await repo.releaseLock({ service: 'shop', environment: 'prod', owner: 'crashed' });
    const releasedByOwner = await repo.releaseLock({ service: 'shop', environment: 'prod', owner: 'next' });

    // Assess
    expect(taken.owner).toBe('next');
    expect(releasedByOld).toBe(false);
    expect(releasedByOwner).toBe(true);
    expect(await repo.findLock('shop', 'prod')).toBeUndefined();
  });

  it('waits for a release when configured to, and fails clearly when the wait runs out', async () => {
    // Prepare: a real clock, short waits.
    const repo = new BuildRepository({ client: table.client, tableName: table.tableName });
    const lock = { service: 'wait', environment: 'qa', ttlSeconds: 600 };
    await repo.acquireLock({ ...lock, owner: 'first' });

    // Act
    const timedOut = repo.acquireLockWaiting({ ...lock, owner: 'impatient', waitSeconds: 0.2, pollMs: 50 });
    await expect(timedOut).rejects.toThrow(/held by first .* after waiting/);
    const waiting = repo.acquireLockWaiting({ ...lock, owner: 'second', waitSeconds: 20, pollMs: 50 });
    setTimeout(() => void repo.releaseLock({ ...lock, owner: 'first' }), 150);

    // Assess
    expect((await waiting).owner).toBe('second');
  });
});

describe('deploy lock leases and the queue (newest push wins)', () => {
  const lock = (owner: string, version: number, environment = 'queue-qa') => ({
    service: 'shop',
    environment,
    owner,
    version,
    ttlSeconds: 60,
    queueTtlSeconds: 120,
  });

  it('names the holder with the lease end, not the table TTL a day later', async () => {
    // Prepare
    const repo = repository();
    const taken = await repo.acquireLock({
      service: 'shop',
      environment: 'until',
      owner: 'a',
      ttlSeconds: 60,
    });

    // Act
    const refused = repo.acquireLock({ service: 'shop', environment: 'until', owner: 'b', ttlSeconds: 60 });

    // Assess
    expect(taken.expiresAt).toBe(at(60));
    await expect(refused).rejects.toThrow(`held by a until ${at(60)}`);
    expect((await repo.findLock('shop', 'until'))?.expiresAt).toBe(at(60));
  });

  it('keeps a lease alive while its holder renews it, and lets it lapse once it stops', async () => {
    // Prepare
    const repo = repository();
    const start = clock.now;
    await repo.acquireLock({ service: 'shop', environment: 'beat', owner: 'holder', ttlSeconds: 60 });

    // Act: renewed at 50 s, so at 100 s it still holds; then no renewal until 200 s.
    clock.now = new Date(start.getTime() + 50_000);
    const renewed = await repo.renewLock({
      service: 'shop',
      environment: 'beat',
      owner: 'holder',
      ttlSeconds: 60,
    });
    clock.now = new Date(start.getTime() + 100_000);
    const stillHeld = repo.acquireLock({
      service: 'shop',
      environment: 'beat',
      owner: 'other',
      ttlSeconds: 60,
    });
    await expect(stillHeld).rejects.toBeInstanceOf(LockHeldError);
    clock.now = new Date(start.getTime() + 200_000);
    const takenOver = await repo.acquireLock({
      service: 'shop',
      environment: 'beat',
      owner: 'other',
      ttlSeconds: 60,
    });
    const renewedByOld = await repo.renewLock({
      service: 'shop',
      environment: 'beat',
      owner: 'holder',
      ttlSeconds: 60,
    });
    clock.now = start;

    // Assess
    expect(renewed).toBe(true);
    expect(takenOver.owner).toBe('other');
    expect(renewedByOld).toBe(false);
  });

  it("queues one waiter, lets a newer push take an older one's place, and hands the lock to the waiter", async () => {
    // Prepare
    const repo = repository();
    const first = await repo.acquireOrQueueLock(lock('run-2', 2));

    // Act
    const older = await repo.acquireOrQueueLock(lock('run-3', 3));
    const newer = await repo.acquireOrQueueLock(lock('run-4', 4));
    const olderAgain = await repo.acquireOrQueueLock(lock('run-3', 3));
    const stale = await repo.acquireOrQueueLock(lock('run-1', 1));
    await repo.releaseLock({ service: 'shop', environment: 'queue-qa', owner: 'run-2' });
    const handedOver = await repo.acquireOrQueueLock(lock('run-4', 4));

    // Assess
    expect(first.status).toBe('acquired');
    expect(older).toMatchObject({ status: 'queued', holder: 'run-2' });
    expect(newer).toMatchObject({ status: 'queued', holder: 'run-2' });
    expect(olderAgain).toEqual({ status: 'superseded', by: 'run-4', byVersion: 4 });
    // An older push than the one holding the lock never deploys over it.
    expect(stale).toEqual({ status: 'superseded', by: 'run-2', byVersion: 2 });
    expect(handedOver.status).toBe('acquired');
    expect((await repo.findLock('shop', 'queue-qa'))?.owner).toBe('run-4');
  });

  it('supersedes a push older than the version already released there', async () => {
    // Prepare: v1 of svc promoted in qa.
    const repo = repository();
    await repo.registerService({ service: 'newest', team: 'web', solution: 'retail', repo: 'org/newest' });
    for (const n of [1, 2]) {
      await repo.allocateVersion({ service: 'newest', commit: SHA, execution: `newest-${n}` });
    }
    await repo.recordPromotion({
      service: 'newest',
      version: 2,
      environment: 'qa',
      kind: 'PROMOTED',
      evidence: {},
      execution: 'newest-2',
    });

    // Act
    const late = await repo.acquireOrQueueLock({ ...lock('newest-1', 1, 'qa'), service: 'newest' });

    // Assess
    expect(late).toMatchObject({ status: 'superseded', byVersion: 2 });
    expect(await repo.findLock('newest', 'qa')).toBeUndefined();
  });
});

describe('verification windows', () => {
  it('lets exactly one of two resumers close a window', async () => {
    // Prepare
    const store = new DynamoWindowStore({ client: table.client, tableName: table.tableName });
    const window = {
      service: 'shop',
      environment: 'qa',
      execution: 'shop-run-1',
      version: 1,
      token: 'token-1',
      startedAt: at(0),
      endsAt: at(300),
      step: 5,
    };
    await store.openWindow(window);

    // Act
    const found = await store.findOpenWindow('shop', 'qa');
    const closes = await Promise.all([
      store.closeWindow('shop', 'qa', 'token-1'),
      store.closeWindow('shop', 'qa', 'token-1'),
    ]);

    // Assess
    expect(found).toEqual(window);
    expect(closes.filter(Boolean)).toHaveLength(1);
    expect(await store.findOpenWindow('shop', 'qa')).toBeUndefined();
    expect(await store.closeWindow('shop', 'qa', 'other-token')).toBe(false);
  });
});

describe('the local table', () => {
  it('keeps history across a restart on a data folder, and the CLI reaches a running platform', async () => {
    // Prepare
    const cwd = mkdtempSync(join(tmpdir(), 'vouch-builds-'));
    try {
      const first = await openLocalTable({ cwd });
      const repo1 = new BuildRepository({ client: first.client, tableName: first.tableName });
      await repo1.registerService({ service: 'keep', team: 'web', solution: 'retail', repo: 'org/keep' });
      await repo1.allocateVersion({ service: 'keep', commit: SHA, execution: 'keep-1' });
      await first.close();

      // Act
      const second = await startLocalTable({ dataDir: join(cwd, '.vouch', 'data') });
      mkdirSync(join(cwd, '.vouch'), { recursive: true });
      writeFileSync(
        join(cwd, '.vouch', 'platform.json'),
        JSON.stringify({ dynamoEndpoint: second.endpoint }),
      );
      const viaPlatform = await openLocalTable({ cwd });
      const repo2 = new BuildRepository({ client: viaPlatform.client, tableName: viaPlatform.tableName });
      const next = await repo2.allocateVersion({ service: 'keep', commit: SHA, execution: 'keep-2' });
      await viaPlatform.close();
      await second.close();

      // Assess
      expect(viaPlatform.endpoint).toBe(second.endpoint);
      expect(next.version).toBe(2);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
