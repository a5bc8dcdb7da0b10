import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it, vi } from 'vitest';
import {
  PortNotWiredError,
  TaskEventInvalidError,
  TaskTypeMismatchError,
} from '../../../lambdas/adapters/aws/pipeline/errors.ts';
import {
  parseTaskEvent,
  taskHandler,
  wirePorts,
} from '../../../lambdas/adapters/aws/pipeline/taskHandler.ts';
import type { BuildRecords } from '../../../lambdas/core/pipeline/tasks.ts';
import type { DeployTarget, EnvironmentDescription } from '../../../lambdas/core/target/port.ts';
import { AFTER_VERSION, EXECUTION, taskEvent } from './fixtures.ts';

const silent = () => new Logger({ serviceName: 'test', logLevel: 'SILENT' });

function fakeBuilds(overrides: Partial<BuildRecords> = {}): BuildRecords & { events: unknown[] } {
  const events: unknown[] = [];
  return {
    events,
    allocateVersion: async () => ({ service: 'shop', version: 7, commit: 'c' }) as never,
    recordRunStarted: async () => {},
    recordRunFinished: async () => {},
    recordTaskEvent: async (e) => {
      events.push(e);
    },
    recordPromotion: async () => {},
    acquireOrQueueLock: async () => ({ status: 'acquired', lock: {} }) as never,
    renewLock: async () => true,
    releaseLock: async () => true,
    listEvents: async () => [],
    whereRuns: async () => ({}),
    ...overrides,
  };
}

function fakeTarget(): DeployTarget & { calls: string[] } {
  const calls: string[] = [];
  const env = {
    id: 'shop.qa',
    service: 'shop',
    name: 'qa',
    ephemeral: false,
    tags: { service: 'shop', team: 'payments', solution: 'storefront' },
    proxyUrl: 'https://qa.example.com',
    createdAt: '2026-01-01T00:00:00.000Z',
  };
  const described: EnvironmentDescription = { environment: env, weight: 0, proxyUrl: env.proxyUrl };
  const record =
    <T>(name: string, value: T) =>
    async () => {
      calls.push(name);
      return value;
    };
  return {
    calls,
    bake: record('bake', {}) as never,
    provision: record('provision', env),
    deploy: record('deploy', described),
    describe: record('describe', described),
    shiftWeight: record('shiftWeight', described),
    promote: record('promote', described),
    rollback: record('rollback', described),
    destroy: record('destroy', undefined),
  } as unknown as DeployTarget & { calls: string[] };
}

describe('parseTaskEvent', () => {
  it('accepts the state machine payload, keeps unknown keys and defaults params', () => {
    // Prepare
    const event = taskEvent('lock', { item: { name: 'qa' } }) as unknown as Record<string, unknown>;
    delete (event.task as Record<string, unknown>).params;

    // Act
    const input = parseTaskEvent('lock', event);

    // Assess
    expect(input.task.params).toEqual({});
    expect(input.item).toEqual({ name: 'qa' });
    expect(input.run.team).toBe('payments');
  });

  it('names every missing or malformed field of a malformed event', () => {
    // Prepare
    const event = taskEvent('lock') as unknown as { run: Record<string, unknown> };
    delete event.run.execution;
    event.run.out = 'not an object';

    // Act
    const act = () => parseTaskEvent('lock', event);

    // Assess
    expect(act).toThrow(TaskEventInvalidError);
    expect(act).toThrow(/run\.execution.*run\.out|run\.out.*run\.execution/);
  });

  it('refuses an event that is not an object at all', () => {
    expect(() => parseTaskEvent('lock', 'lock please')).toThrow(TaskEventInvalidError);
    expect(() => parseTaskEvent('lock', null)).toThrow(TaskEventInvalidError);
  });

  it('refuses an event of another task type, naming both types', () => {
    // Act
    const act = () => parseTaskEvent('notify', taskEvent('version', { name: 'version' }));

    // Assess
    expect(act).toThrow(TaskTypeMismatchError);
    expect(act).toThrow('Task version has type version but reached the notify task Lambda');
  });

  it('refuses a task type that does not exist', () => {
    const event = taskEvent('lock') as unknown as { task: Record<string, unknown> };
    event.task.type = 'deploy-everything';

    expect(() => parseTaskEvent('deploy-everything' as never, event)).toThrow(TaskEventInvalidError);
  });
});

describe('wirePorts', () => {
  it('keeps wired ports and guards the others, by port and task type', async () => {
    // Prepare
    const builds = fakeBuilds();

    // Act
    const ports = wirePorts('version', { builds });

    // Assess
    expect(ports.builds).toBe(builds);
    expect(() => ports.target.describe({ id: 'shop.qa' })).toThrow(PortNotWiredError);
    expect(() => ports.target.describe({ id: 'shop.qa' })).toThrow(
      'Port "target" (describe) is not wired in the version task Lambda',
    );
    expect(() => ports.source(taskEvent('bake').run)).toThrow('Port "source" is not wired in the version');
    // Awaiting a guard (a `then` probe) is not a call.
    await expect(Promise.resolve(ports.notify)).resolves.toBeDefined();
  });
});

describe('taskHandler', () => {
  it('throws PortNotWiredError when a task reaches a port its Lambda did not wire', async () => {
    // Prepare: rollback needs the target, the build records and notify; notify is left out.
    const target = fakeTarget();
    const handler = taskHandler('rollback', { builds: fakeBuilds(), target }, { logger: silent() });
    const event = taskEvent('rollback', {
      out: AFTER_VERSION,
      item: { name: 'qa' },
      error: { Error: 'CanaryStepFailedError', Cause: '{"reason":"p99 worse"}' },
    });

    // Act
    const result = handler(event);

    // Assess
    await expect(result).rejects.toThrow(PortNotWiredError);
    await expect(result).rejects.toMatchObject({ port: 'notify', taskType: 'rollback' });
    expect(target.calls).toContain('rollback'); // the guard fired at the first use, after the wired calls
  });

  it('rethrows a task error unchanged and logs its name, the task and the execution', async () => {
    // Prepare
    const held = Object.assign(new Error('qa is locked by gh-other'), { name: 'LockHeldError' });
    const logger = silent();
    const logged = vi.spyOn(logger, 'error');
    const builds = fakeBuilds({
      acquireOrQueueLock: async () => {
        throw held;
      },
    });
    const handler = taskHandler('lock', { builds }, { logger });

    // Act
    const result = handler(taskEvent('lock', { out: AFTER_VERSION, item: { name: 'qa' } }));

    // Assess
    await expect(result).rejects.toBe(held);
    expect(logged).toHaveBeenCalledWith(
      'task failed',
      expect.objectContaining({ task: 'lock', execution: EXECUTION, error: 'LockHeldError' }),
    );
    expect(builds.events).toContainEqual(expect.objectContaining({ phase: 'done', outcome: 'FAILED' }));
  });

  it('rejects a malformed event before any port is called', async () => {
    // Prepare
    const builds = fakeBuilds();
    const handler = taskHandler('unlock', { builds }, { logger: silent() });

    // Act
    const result = handler({ task: { name: 'unlock', type: 'unlock' } });

    // Assess
    await expect(result).rejects.toThrow(TaskEventInvalidError);
    expect(builds.events).toEqual([]);
  });

  it('returns the task result for a valid event', async () => {
    // Prepare
    const handler = taskHandler('unlock', { builds: fakeBuilds() }, { logger: silent() });

    // Act
    const result = await handler(taskEvent('unlock', { out: AFTER_VERSION, item: { name: 'qa' } }));

    // Assess
    expect(result).toEqual({ released: ['qa'] });
  });
});
