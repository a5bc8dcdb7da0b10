import { describe, expect, it } from 'vitest';
import type { EnvironmentState } from '../../../lambdas/core/builds/model.ts';
import type { JsonValue, TaskInput } from '../../../lambdas/core/pipeline/contract.ts';
import {
  type BuildRecords,
  createPipelineTasks,
  type PipelinePorts,
} from '../../../lambdas/core/pipeline/tasks.ts';
import type { DeployTarget, EnvironmentDescription, SlotState } from '../../../lambdas/core/target/port.ts';
import { AFTER_VERSION, taskEvent, VERSION } from '../aws-pipeline/fixtures.ts';

/** An environment with the given slots, as the target reports it. */
function description(baseline?: string, canary?: string): EnvironmentDescription {
  const slot = (version: string): SlotState => ({
    image: `img-${version}`,
    version,
    url: 'http://x',
    since: 'now',
  });
  const environment = {
    id: 'shop.qa',
    service: 'shop',
    name: 'qa',
    ephemeral: false,
    tags: { service: 'shop', team: 'payments', solution: 'storefront' },
    proxyUrl: 'http://127.0.0.1:1',
    createdAt: 'now',
  };
  return {
    environment,
    ...(baseline ? { baseline: slot(baseline) } : {}),
    ...(canary ? { canary: slot(canary) } : {}),
    weight: canary ? 50 : 0,
    proxyUrl: environment.proxyUrl,
  };
}

function fakes(options: {
  holdsLock: boolean;
  state: EnvironmentDescription;
  where?: Record<string, EnvironmentState>;
}) {
  const calls: string[] = [];
  const promotions: { kind: string; environment: string }[] = [];
  let state = options.state;
  const builds: BuildRecords = {
    allocateVersion: async () => ({ service: 'shop', version: VERSION, commit: 'c' }) as never,
    recordRunStarted: async () => {},
    recordRunFinished: async () => {},
    recordTaskEvent: async () => {},
    recordPromotion: async (p) => {
      promotions.push({ kind: p.kind, environment: p.environment });
    },
    acquireOrQueueLock: async () => ({ status: 'queued' }),
    renewLock: async () => options.holdsLock,
    releaseLock: async () => true,
    whereRuns: async () => options.where ?? {},
    listEvents: async () => [],
  };
  const target = {
    provision: async () => state.environment,
    describe: async () => state,
    rollback: async () => {
      calls.push('rollback');
      state = description(state.baseline?.version);
      return state;
    },
    promote: async () => {
      calls.push('promote');
      state = description(state.canary?.version);
      return state;
    },
    shiftWeight: async () => {
      calls.push('shift');
      return state;
    },
    deploy: async () => {
      calls.push('deploy');
      return state;
    },
  } as unknown as DeployTarget;
  const unused = async () => {
    throw new Error('not used here');
  };
  const ports: PipelinePorts = {
    builds,
    target,
    verify: unused,
    decide: unused,
    samples: { samples: unused },
    bots: { runOnce: unused },
    commands: { run: unused },
    notify: { send: async () => {} },
    source: () => ({ source: '.' }),
  };
  return { tasks: createPipelineTasks(ports), calls, promotions };
}

const inQa = (type: 'rollback' | 'promote' | 'shift', scope: Record<string, JsonValue> = {}): TaskInput => ({
  ...taskEvent(type, { out: AFTER_VERSION, item: { name: 'qa' } }),
  scope,
  ...(type === 'shift' ? { step: { traffic: 50 } } : {}),
});

describe('release tasks act only for the run that holds the lock, and record only what serves', () => {
  it('a rollback by a run without the lock touches nothing and records nothing', async () => {
    // Prepare: another run's canary v8 is in qa.
    const { tasks, calls, promotions } = fakes({ holdsLock: false, state: description('6', '8') });

    // Act
    const result = await tasks.rollback(inQa('rollback'));

    // Assess
    expect(result).toMatchObject({ skipped: expect.stringMatching(/does not hold the deploy lock of qa/) });
    expect(calls).toEqual([]);
    expect(promotions).toEqual([]);
  });

  it('shift and promote refuse without the lock', async () => {
    // Prepare
    const { tasks, calls, promotions } = fakes({
      holdsLock: false,
      state: description('6', String(VERSION)),
    });

    // Act / Assess
    await expect(tasks.shift(inQa('shift'))).rejects.toMatchObject({ name: 'LockNotHeld' });
    await expect(tasks.promote(inQa('promote'))).rejects.toMatchObject({ name: 'LockNotHeld' });
    expect(calls).toEqual([]);
    expect(promotions).toEqual([]);
  });

  it('a canary a person rolled back is not a first release: shift fails the release, promote records nothing', async () => {
    // Prepare: the run deployed a canary (not a first release); a person removed it.
    const scope = { 'deploy-canary': { firstRelease: false } };
    const { tasks, calls, promotions } = fakes({ holdsLock: true, state: description('6') });

    // Act / Assess
    await expect(tasks.shift(inQa('shift', scope))).rejects.toMatchObject({ name: 'ManualRollback' });
    await expect(tasks.promote(inQa('promote', scope))).rejects.toMatchObject({ name: 'ManualRollback' });
    expect(calls).toEqual([]);
    expect(promotions).toEqual([]);
  });

  it('promotes, checks the environment serves the version, then records PROMOTED', async () => {
    // Prepare
    const scope = { 'deploy-canary': { firstRelease: false } };
    const { tasks, calls, promotions } = fakes({ holdsLock: true, state: description('6', String(VERSION)) });

    // Act
    await tasks.promote(inQa('promote', scope));

    // Assess
    expect(calls).toEqual(['promote']);
    expect(promotions).toEqual([{ kind: 'PROMOTED', environment: 'qa' }]);
  });

  it('a first release is recorded PROMOTED only if the environment serves it', async () => {
    // Prepare: the build data had nothing in qa, but qa serves another version.
    const scope = { 'deploy-canary': { firstRelease: true } };
    const { tasks, promotions } = fakes({ holdsLock: true, state: description('5') });

    // Act
    const promoting = tasks.promote(inQa('promote', scope));

    // Assess
    await expect(promoting).rejects.toMatchObject({ name: 'PromotionNotServing' });
    expect(promotions).toEqual([]);
  });
});
