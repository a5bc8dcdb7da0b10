import type { TaskFunction, TaskType } from '../contract.ts';
import { LockQueuedError, LockSupersededError } from '../errors.ts';
import type { TaskContext } from './context.ts';
import { environmentOf, json, versionOf } from './inputs.ts';

export function lifecycleTasks(
  context: TaskContext,
): Pick<Record<TaskType, TaskFunction>, 'version' | 'lock' | 'unlock'> {
  const { ports, now, ttl, sleep } = context;
  return {
    async version(input) {
      const allocated = await ports.builds.allocateVersion({
        service: input.run.service,
        commit: input.run.commit,
        execution: input.run.execution,
      });
      await ports.builds.recordRunStarted({
        execution: input.run.execution,
        service: input.run.service,
        team: input.run.team,
        version: allocated.version,
        commit: allocated.commit,
        pipeShape: json({ pipe: input.run.pipe, shape: input.task.params.pipeShape ?? null }),
      });
      return { version: allocated.version, commit: allocated.commit };
    },

    async lock(input) {
      const env = environmentOf(input);
      const request = {
        service: input.run.service,
        environment: env,
        owner: input.run.execution,
        ttlSeconds: ttl,
        version: versionOf(input),
        // The place in the queue lapses if the waiter stops coming back (it comes back every poll).
        queueTtlSeconds: Math.max(ttl, (ports.lockWaitSeconds ?? 0) + 60),
      };
      const deadline = now().getTime() + (ports.lockWaitSeconds ?? 0) * 1000;
      for (;;) {
        const attempt = await ports.builds.acquireOrQueueLock(request);
        if (attempt.status === 'acquired') return json(attempt.lock);
        if (attempt.status === 'superseded') {
          throw new LockSupersededError(request.service, env, request.version, attempt.by, attempt.byVersion);
        }
        if (now().getTime() + (ports.lockPollMs ?? 1000) > deadline) {
          throw new LockQueuedError(request.service, env, attempt.holder);
        }
        await sleep(ports.lockPollMs ?? 1000);
      }
    },

    async unlock(input) {
      const names =
        input.task.params.all === true
          ? ((input.run.config.environments as { name: string }[]) ?? []).map((e) => e.name)
          : [environmentOf(input)];
      const released: string[] = [];
      for (const name of names) {
        const ok = await ports.builds.releaseLock({
          service: input.run.service,
          environment: name,
          owner: input.run.execution,
        });
        if (ok) released.push(name);
      }
      return { released };
    },
  };
}
