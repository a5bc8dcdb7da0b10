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

/** Ports that are objects (methods are guarded) and ports that are functions. */
const OBJECT_PORTS = ['builds', 'target', 'samples', 'bots', 'commands', 'notify'] as const;
const FUNCTION_PORTS = ['verify', 'decide', 'source'] as const;

export type PortName = (typeof OBJECT_PORTS)[number] | (typeof FUNCTION_PORTS)[number];

/** What a task Lambda wires: the ports its type uses, plus the optional settings. */
export type TaskPorts = Partial<PipelinePorts>;

function unwiredObject(port: PortName, type: TaskType): object {
  return new Proxy(
    {},
    {
      get(_target, member) {
        // `then` and symbols are probed by await and by loggers: answer "not there", do not throw.
        if (typeof member === 'symbol' || member === 'then') return undefined;
        return () => {
          throw new PortNotWiredError(port, type, member);
        };
      },
    },
  );
}

function unwiredFunction(port: PortName, type: TaskType) {
  return () => {
    throw new PortNotWiredError(port, type);
  };
}

/** The full port set `createPipelineTasks` takes: the wired ones, and guards for the rest. */
export function wirePorts(type: TaskType, wired: TaskPorts): PipelinePorts {
  const ports: Record<string, unknown> = { ...wired };
  for (const port of OBJECT_PORTS) ports[port] ??= unwiredObject(port, type);
  for (const port of FUNCTION_PORTS) ports[port] ??= unwiredFunction(port, type);
  return ports as unknown as PipelinePorts;
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
