import { describe, expect, it } from 'vitest';
import type { Build, DeployLock, EnvironmentState, RunFinish } from '../../../lambdas/core/builds/model.ts';
import type { NotificationInput } from '../../../lambdas/core/notify/notification.ts';
import { type ReconcilePorts, reconcileService } from '../../../lambdas/core/pipeline/reconcile.ts';

const ENVIRONMENTS = [
  { name: 'test', ephemeral: true },
  { name: 'qa', ephemeral: false },
  { name: 'prod', ephemeral: false },
];

function build(version: number, execution: string): Build {
  return {
    service: 'shop',
    team: 'web',
    version,
    commit: `c${version}`,
    execution,
    status: 'RUNNING',
    allocatedAt: '2030-01-01T00:00:00.000Z',
  };
}

function fakePorts(state: {
  running: Build[];
  live: string[];
  locks: Record<string, DeployLock>;
  where: Record<string, EnvironmentState>;
  serving: Record<string, string | undefined>;
}) {
  const finished: RunFinish[] = [];
  const destroyed: string[] = [];
  const notified: NotificationInput[] = [];
  const corrected: { environment: string; version: number | undefined }[] = [];
  const ports: ReconcilePorts = {
    builds: {
      listRunningBuilds: async () => state.running,
      recordRunFinished: async (run) => {
        finished.push(run);
      },
      findLock: async (_s, env) => state.locks[env],
      releaseLock: async ({ environment, owner }) => {
        if (state.locks[environment]?.owner !== owner) return false;
        delete state.locks[environment];
        return true;
      },
      whereRuns: async () => state.where,
      getBuild: async (_s, version) => ({ commit: `c${version}` }),
      correctServing: async (_s, environment, serving) => {
        corrected.push({ environment, version: serving?.version });
        return true;
      },
    },
    isRunning: async (execution) => state.live.includes(execution),
    destroyEnvironment: async (id) => {
      destroyed.push(id);
    },
    serving: async (_s, env) => state.serving[env],
    notify: async (n) => {
      notified.push(n);
    },
  };
  return { ports, finished, destroyed, notified, corrected, state };
}

const lock = (environment: string, owner: string): DeployLock => ({
  service: 'shop',
  environment,
  owner,
  acquiredAt: '2030-01-01T00:00:00.000Z',
  expiresAt: '2030-01-01T01:00:00.000Z',
});

const at = (version: number): EnvironmentState => ({
  environment: 'qa',
  version,
  commit: `c${version}`,
  since: '2030-01-01T00:00:00.000Z',
  previousVersion: 0,
});

describe('reconcileService', () => {
  it('ends a run left RUNNING as ABORTED, frees what it held, corrects where, and tells the team', async () => {
    // Prepare: v4 crashed holding the qa lock with its test environment up; v5 still runs.
    const f = fakePorts({
      running: [build(5, 'run-5'), build(4, 'run-4')],
      live: ['run-5'],
      locks: { qa: lock('qa', 'run-4'), prod: lock('prod', 'run-5') },
      where: { qa: at(3), prod: { ...at(3), environment: 'prod' } },
      serving: { qa: undefined, prod: '3' },
    });

    // Act
    const report = await reconcileService(
      { service: 'shop', team: 'web', environments: ENVIRONMENTS },
      f.ports,
    );

    // Assess
    expect(f.finished).toEqual([
      expect.objectContaining({ execution: 'run-4', version: 4, outcome: 'ABORTED' }),
    ]);
    expect(report.aborted).toEqual([
      {
        execution: 'run-4',
        version: 4,
        locksReleased: ['qa'],
        destroyed: ['shop.test.run-4'],
        builders: [],
      },
    ]);
    expect(f.destroyed).toEqual(['shop.test.run-4']);
    // The running run keeps its lock.
    expect(f.state.locks.prod?.owner).toBe('run-5');
    expect(f.corrected).toEqual([{ environment: 'qa', version: undefined }]);
    expect(f.notified).toHaveLength(1);
    expect(f.notified[0]?.event).toBe('RECONCILED');
    expect(f.notified[0]?.verdict.summary).toMatch(/v4 \(run-4\) was still RUNNING: ended ABORTED/);
  });

  it('releases a lock whose holder ended without its cleanup, and stays quiet when all agrees', async () => {
    // Prepare
    const f = fakePorts({
      running: [],
      live: [],
      locks: { qa: lock('qa', 'gone') },
      where: { qa: at(3) },
      serving: { qa: '3' },
    });

    // Act
    const report = await reconcileService(
      { service: 'shop', team: 'web', environments: ENVIRONMENTS },
      f.ports,
    );

    // Assess
    expect(report.locksReleased).toEqual([{ environment: 'qa', owner: 'gone' }]);
    expect(f.corrected).toEqual([]);
    expect(f.notified).toEqual([]);
  });

  it('leaves an environment a running run holds to that run (the schedule runs beside live releases)', async () => {
    // Prepare: run-6 is mid-promote in qa: the target serves v6 before the record says so.
    const f = fakePorts({
      running: [build(6, 'run-6')],
      live: ['run-6'],
      locks: { qa: lock('qa', 'run-6') },
      where: { qa: at(5), prod: { ...at(5), environment: 'prod' } },
      serving: { qa: '6', prod: '4' },
    });

    // Act
    const report = await reconcileService(
      { service: 'shop', team: 'web', environments: ENVIRONMENTS },
      f.ports,
    );

    // Assess: qa is run-6's to record; prod, which nobody holds, is corrected.
    expect(report.aborted).toEqual([]);
    expect(f.state.locks.qa?.owner).toBe('run-6');
    expect(f.corrected).toEqual([{ environment: 'prod', version: 4 }]);
  });

  it('terminates the builders of a run stopped during bake, never those a live run of the same commit bakes with', async () => {
    // Prepare: run-7 (commit c7) and run-8 (commit c8) were stopped during bake; run-9 pushed c7 again
    // and is baking now (bake is re-entrant by content: it waits on the same builder).
    const f = fakePorts({
      running: [build(9, 'run-9'), build(8, 'run-8'), build(7, 'run-7')],
      live: ['run-9'],
      locks: {},
      where: {},
      serving: {},
    });
    f.state.running[0] = { ...build(9, 'run-9'), commit: 'c7' };
    const builders: Record<string, string[]> = { c7: ['i-builder7'], c8: ['i-builder8'] };
    const asked: string[] = [];
    const ports: ReconcilePorts = {
      ...f.ports,
      stopBuilders: async (service, commit) => {
        asked.push(`${service}@${commit}`);
        const ids = builders[commit] ?? [];
        delete builders[commit];
        return ids;
      },
    };

    // Act
    const report = await reconcileService(
      { service: 'shop', team: 'web', environments: ENVIRONMENTS },
      ports,
    );

    // Assess: c8's builder is terminated and reported; c7's is left to run-9.
    expect(asked).toEqual(['shop@c8']);
    expect(builders).toEqual({ c7: ['i-builder7'] });
    expect(report.aborted.map((a) => [a.execution, a.builders])).toEqual([
      ['run-8', ['i-builder8']],
      ['run-7', []],
    ]);
    expect(f.finished.find((r) => r.execution === 'run-8')?.report).toMatchObject({
      builders: ['i-builder8'],
    });
    expect(f.notified[0]?.verdict.summary).toMatch(/v8 \(run-8\) .*builder i-builder8 terminated/);
  });
});
