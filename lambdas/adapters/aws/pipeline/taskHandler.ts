/**
 * One pipeline task type as a Lambda handler: the same task function the local engine runs
 * (`createPipelineTasks`), over the ports this type's Lambda wires. Ports a type does not use are
 * guards that throw `PortNotWiredError`, so each Lambda builds (and is granted) only what it calls.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { JsonValue, TaskInput, TaskType } from '../../../core/pipeline/contract.ts';
import { safeParseTaskInput } from '../../../core/pipeline/taskInputs.ts';
import { createPipelineTasks, type PipelinePorts } from '../../../core/pipeline/tasks.ts';
import { PortNotWiredError, TaskEventInvalidError, TaskTypeMismatchError } from './errors.ts';

/** What a task Lambda wires: the ports its type uses, plus the optional settings. */
export type TaskPorts = Partial<PipelinePorts>;

export type PortName =
  | 'builds'
  | 'target'
  | 'samples'
  | 'bots'
  | 'commands'
  | 'notify'
  | 'verify'
  | 'decide'
  | 'source';

/** A member of an unwired port: throws PortNotWiredError when called (not when read: `await` probes `then`). */
function refusal(port: PortName, type: TaskType) {
  return (member?: string) => (): never => {
    throw new PortNotWiredError(port, type, member);
  };
}

/**
 * The full port set `createPipelineTasks` takes: the wired ones, and guards for the rest. Each guard
 * lists its port's members, so the compiler holds it complete when a port grows a method.
 */
export function wirePorts(type: TaskType, wired: TaskPorts): PipelinePorts {
  const builds = refusal('builds', type);
  const target = refusal('target', type);
  return {
    ...wired,
    builds: wired.builds ?? {
      allocateVersion: builds('allocateVersion'),
      recordRunStarted: builds('recordRunStarted'),
      recordRunFinished: builds('recordRunFinished'),
      recordTaskEvent: builds('recordTaskEvent'),
      recordPromotion: builds('recordPromotion'),
      acquireOrQueueLock: builds('acquireOrQueueLock'),
      renewLock: builds('renewLock'),
      releaseLock: builds('releaseLock'),
      listEvents: builds('listEvents'),
      whereRuns: builds('whereRuns'),
    },
    target: wired.target ?? {
      bake: target('bake'),
      provision: target('provision'),
      deploy: target('deploy'),
      shiftWeight: target('shiftWeight'),
      promote: target('promote'),
      rollback: target('rollback'),
      destroy: target('destroy'),
      describe: target('describe'),
      resources: target('resources'),
    },
    samples: wired.samples ?? { samples: refusal('samples', type)('samples') },
    bots: wired.bots ?? { runOnce: refusal('bots', type)('runOnce') },
    commands: wired.commands ?? { run: refusal('commands', type)('run') },
    notify: wired.notify ?? { send: refusal('notify', type)('send') },
    verify: wired.verify ?? refusal('verify', type)(),
    decide: wired.decide ?? refusal('decide', type)(),
    source: wired.source ?? refusal('source', type)(),
  };
}

/** Validates a Lambda event as a task of `type`; throws TaskTypeMismatchError or TaskEventInvalidError. */
export function parseTaskEvent(type: TaskType, event: unknown): TaskInput {
  const claimed = (event as { task?: { type?: unknown; name?: unknown } } | null)?.task;
  if (typeof claimed?.type === 'string' && claimed.type !== type) {
    throw new TaskTypeMismatchError(type, claimed.type, String(claimed.name ?? '(unnamed)'));
  }
  const parsed = safeParseTaskInput(event);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new TaskEventInvalidError(type, problems.join('; '), { cause: parsed.error });
  }
  return parsed.data;
}

export interface TaskHandlerOptions {
  /** @default a Powertools Logger with serviceName `vouch-task-<type>` */
  readonly logger?: Logger;
}

export type TaskLambdaHandler = (event: unknown) => Promise<JsonValue>;

/**
 * The Lambda handler of one task type. Errors are rethrown unchanged: their `name` is what the state
 * machine's Retry (TransientTaskError) and Catch match.
 */
export function taskHandler(
  type: TaskType,
  ports: TaskPorts,
  options: TaskHandlerOptions = {},
): TaskLambdaHandler {
  const logger = options.logger ?? new Logger({ serviceName: `vouch-task-${type}` });
  const task = createPipelineTasks(wirePorts(type, ports))[type];
  return async (event) => {
    let input: TaskInput;
    try {
      input = parseTaskEvent(type, event);
    } catch (error) {
      logger.error('task event rejected', {
        error: (error as Error).name,
        message: (error as Error).message,
      });
      throw error;
    }
    const keys = { task: input.task.name, execution: input.run.execution, service: input.run.service };
    logger.info('task started', keys);
    try {
      const result = await task(input);
      logger.info('task done', keys);
      return result;
    } catch (error) {
      const e = error as Error;
      logger.error('task failed', { ...keys, error: e.name, message: e.message });
      throw error;
    }
  };
}
