import './polyfills.ts';
import { randomUUID } from 'node:crypto';
import { ExecutionAbortedError, ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import type { JsonValue, RunInput, TaskFunction, TaskInput, TaskType } from '../../core/pipeline/contract.ts';
import { verifyTimeoutFor } from '../../core/pipeline/evidenceTasks.ts';
import { safeParseTaskInput } from '../../core/pipeline/taskInputs.ts';
import { type AslDefinition, type AslState, COMPENSATION_COMMENT } from '../../core/spec/compile.ts';
import {
  MapIterationSkippedError,
  MissingTaskFunctionError,
  MockTaskFailedError,
  TaskInputInvalidError,
} from './errors.ts';
import { forLocalStepFunctions } from './timeoutPaths.ts';

/**
 * The local engine: runs the compiled ASL with aws-local-stepfunctions, each Task state mapped to an
 * in-process task function (the same functions the Lambdas wrap). No second orchestration engine:
 * Choice, Map, Parallel, Retry, Catch and timeouts are aws-local-stepfunctions' implementation of
 * the States Language.
 */

type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

/** A line of the execution history, as shown live and kept for `vouch events`/tests. */
export interface HistoryEntry {
  readonly at: number;
  readonly kind: 'started' | 'entered' | 'succeeded' | 'failed' | 'retried' | 'caught' | 'finished';
  readonly state?: string;
  readonly stateType?: string;
  /** Map iteration index (which environment, which canary step). */
  readonly index?: number;
  /** Where in the pipe: the environment and canary step of the iteration, e.g. `qa 5%`. */
  readonly where?: string;
  readonly durationMs?: number;
  readonly error?: string;
  readonly cause?: string;
  readonly status?: ExecutionStatus;
}

export type ExecutionStatus = 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

export interface LocalExecutionResult {
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly output?: JsonValue;
  readonly error?: string;
  readonly cause?: string;
  readonly history: readonly HistoryEntry[];
  /** In mock mode: every task in the order it ran. */
  readonly recorded: readonly RecordedTask[];
}

export interface RecordedTask {
  readonly task: string;
  readonly type: TaskType;
  /** The environment of the iteration it ran in, if any. */
  readonly environment?: string;
  readonly step?: number;
}

export interface MockOptions {
  /** Task names that fail (error MockTaskFailed) instead of recording success. */
  readonly fail?: readonly string[];
}

export interface LocalRunOptions {
  /** Task functions by type. Missing types fail the task with a clear error. Ignored with `mock`. */
  readonly tasks?: Partial<Record<TaskType, TaskFunction>>;
  /** Swap every task for a recorder. */
  readonly mock?: boolean | MockOptions;
  /** Execution name; a new one if omitted. */
  readonly name?: string;
  /** Called for every history entry as it happens (progress). */
  readonly onHistory?: (entry: HistoryEntry) => void;
  /** Retry pauses in ms instead of the definition's IntervalSeconds (tests). */
  readonly retryIntervalMs?: number;
  /**
   * Stops the execution as StopExecution does: it ends ABORTED at once, no Catch and no `last` section
   * runs; a task already in flight finishes on its own (what it creates is left behind, as on AWS).
   */
  readonly signal?: AbortSignal;
}

interface TaskStateInfo {
  readonly state: string;
  readonly type: TaskType;
  readonly callback: boolean;
  /** Enclosing Map states, outermost first. */
  readonly maps: readonly string[];
  /** Runs when its stage failed (compiled from `onFailure`): the iteration will end FAILED. */
  readonly compensation: boolean;
}

/** Every Task state of a definition, nested ones included, with the task type it runs. */
export function taskStates(definition: Pick<AslDefinition, 'States'>): TaskStateInfo[] {
  const found: TaskStateInfo[] = [];
  const visit = (states: Record<string, AslState>, maps: readonly string[]) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task') {
        const params = state.Parameters as {
          task?: { type: TaskType };
          Payload?: { task?: { type: TaskType } };
        };
        const type = params.task?.type ?? params.Payload?.task?.type;
        const compensation = String(state.Comment ?? '').startsWith(COMPENSATION_COMMENT);
        if (type)
          found.push({ state: name, type, callback: params.Payload !== undefined, maps, compensation });
      }
      for (const branch of (state.Branches as { States: Record<string, AslState> }[] | undefined) ?? []) {
        visit(branch.States, maps);
      }
      const processor = (state.ItemProcessor ?? state.Iterator) as
        | { States: Record<string, AslState> }
        | undefined;
      if (processor) visit(processor.States, [...maps, name]);
    }
  };
  visit(definition.States, []);
  return found;
}

function environmentOf(input: TaskInput): string | undefined {
  const param = input.task.params.environment;
  if (typeof param === 'string') return param;
  const item = input.item as { name?: string } | undefined;
  return item?.name;
}

function mockResult(input: TaskInput): JsonValue {
  switch (input.task.type) {
    case 'version':
      return { version: 1, commit: input.run.commit };
    case 'judge':
      return { outcome: 'PASS', mocked: true };
    case 'verify':
      return { outcome: 'PASSED', mocked: true };
    default:
      return { mocked: true };
  }
}

const validated = new Set<string>();

export async function runPipeLocally(
  definition: AslDefinition,
  input: RunInput,
  options: LocalRunOptions = {},
): Promise<LocalExecutionResult> {
  const name = options.name ?? randomUUID();
  const recorded: RecordedTask[] = [];
  const history: HistoryEntry[] = [];
  const mock = options.mock === true ? {} : options.mock || undefined;
  let tokens = 0;

  const handlers: Record<string, (raw: JsonValue) => Promise<JsonValue>> = {};
  const retryIntervalOverrides: Record<string, number> = {};
  const failedMaps = new Set<string>();
  /** A Map's identity within this execution: a nested Map is one per iteration of its parent. */
  const mapKey = (info: TaskStateInfo, input: TaskInput) =>
    `${info.maps.at(-1)}|${info.maps.length > 1 ? JSON.stringify(input.item ?? null) : ''}`;
  for (const info of taskStates(definition)) {
    if (options.retryIntervalMs !== undefined) retryIntervalOverrides[info.state] = options.retryIntervalMs;
    const run = async (taskInput: TaskInput): Promise<JsonValue> => {
      if (info.maps.length === 0) return runTask(info, taskInput);
      const key = mapKey(info, taskInput);
      if (failedMaps.has(key) && !info.compensation)
        throw new MapIterationSkippedError(info.maps.at(-1) as string);
      if (info.compensation) failedMaps.add(key);
      try {
        return await runTask(info, taskInput);
      } catch (e) {
        failedMaps.add(key);
        throw e;
      }
    };
    handlers[info.state] = async (raw) => {
      // A callback task receives the lambda:invoke Parameters ({FunctionName, Payload}); unwrap them and
      // give it a token of its own (the context's is shared by every state).
      const event =
        info.callback && typeof raw === 'object' && raw !== null && 'Payload' in raw ? raw.Payload : raw;
      const parsed = safeParseTaskInput(event);
      if (!parsed.success) throw new TaskInputInvalidError(info.state, parsed.error);
      const payload = parsed.data;
      const taskInput: TaskInput = info.callback
        ? { ...payload, token: `local:${name}:${info.state}:${++tokens}` }
        : payload;
      return run(taskInput);
    };
  }

  async function runTask(info: TaskStateInfo, taskInput: TaskInput): Promise<JsonValue> {
    // A window's timeout state (compile.ts addVerifyTimeout) is not a pipe task: not recorded.
    if (mock && info.type === 'verify' && taskInput.task.params.timeoutOnly === true) {
      return { timeoutSeconds: verifyTimeoutFor(info.state, taskInput.run.config.verification) };
    }
    if (mock) {
      const environment = environmentOf(taskInput);
      recorded.push({
        task: info.state,
        type: info.type,
        ...(environment ? { environment } : {}),
        ...(typeof taskInput.step === 'object' && taskInput.step !== null
          ? { step: (taskInput.step as { traffic: number }).traffic }
          : typeof taskInput.step === 'number'
            ? { step: taskInput.step }
            : {}),
      });
      if (mock.fail?.includes(info.state)) throw new MockTaskFailedError(info.state);
      return mockResult(taskInput);
    }
    const fn = options.tasks?.[info.type];
    if (!fn) throw new MissingTaskFunctionError(info.type, info.state);
    return fn(taskInput);
  }

  // The library validates a definition with asl-validator on construction (about a second); a
  // definition already validated in this process is not validated again.
  const json = JSON.stringify(definition);
  const machine = new StateMachine(forLocalStepFunctions(definition) as never, {
    validationOptions: validated.has(json) ? { noValidate: true } : { checkPaths: false },
  });
  validated.add(json);
  // The execution input as JSON, as Step Functions receives it (StartExecution takes a JSON string).
  const executionInput: JsonValue = JSON.parse(JSON.stringify(input));
  const execution = machine.run(executionInput, {
    overrides: { taskResourceLocalHandlers: handlers as never, retryIntervalOverrides },
    context: {
      Execution: { Id: name, Name: name, Input: executionInput },
      Task: { Token: 'replaced-per-task' },
    },
  });
  if (options.signal?.aborted) execution.abort();
  else options.signal?.addEventListener('abort', () => execution.abort(), { once: true });
  const record = (entry: HistoryEntry) => {
    history.push(entry);
    options.onHistory?.(entry);
  };
  const entered = new Map<string, number>();
  const logs = (async () => {
    for await (const event of execution.eventLogs) {
      const entry = toHistory(event, entered);
      if (entry && entry.error !== 'MapIterationSkipped') record(entry);
    }
  })();

  let status: ExecutionStatus = 'SUCCEEDED';
  let output: JsonValue | undefined;
  let error: string | undefined;
  let cause: string | undefined;
  try {
    output = (await execution.result) as JsonValue;
  } catch (e) {
    if (e instanceof ExecutionAbortedError) status = 'ABORTED';
    else if (e instanceof ExecutionError) {
      status = 'FAILED';
      const c = e.cause as { name?: string; message?: string } | undefined;
      error = c?.name ?? e.name;
      cause = c?.message ?? e.message;
    } else {
      status = 'FAILED';
      error = (e as Error).name;
      cause = (e as Error).message;
    }
  }
  await logs;
  // The library's own ExecutionFailed event carries the same Error/Cause; finished adds the verdict.
  record({
    at: Date.now(),
    kind: 'finished',
    status,
    ...(error ? { error } : {}),
    ...(cause ? { cause } : {}),
  });
  return { name, status, ...(output !== undefined ? { output } : {}), error, cause, history, recorded };
}

function toHistory(event: EventLog, entered: Map<string, number>): HistoryEntry | undefined {
  const base = { at: event.timestamp };
  const e = event as EventLog & {
    state?: { name: string; type: string };
    index?: number;
    Error?: string;
    Cause?: unknown;
  };
  const key = `${e.state?.name}#${e.index ?? ''}`;
  const where = whereOf((e.state as { input?: unknown } | undefined)?.input);
  const state = e.state ? { state: e.state.name, stateType: e.state.type, ...(where ? { where } : {}) } : {};
  const index = e.index !== undefined ? { index: e.index } : {};
  switch (event.type) {
    case 'ExecutionStarted':
      return { ...base, kind: 'started' };
    case 'StateEntered':
      entered.set(key, event.timestamp);
      return { ...base, kind: 'entered', ...state, ...index };
    case 'StateExited':
      return {
        ...base,
        kind: 'succeeded',
        ...state,
        ...index,
        durationMs: event.timestamp - (entered.get(key) ?? event.timestamp),
      };
    case 'StateFailed':
      return {
        ...base,
        kind: 'failed',
        ...state,
        ...index,
        durationMs: event.timestamp - (entered.get(key) ?? event.timestamp),
        error: e.Error,
        cause: typeof e.Cause === 'string' ? e.Cause : JSON.stringify(e.Cause),
      };
    case 'StateRetried':
      return { ...base, kind: 'retried', ...state, ...index };
    case 'StateCaught':
      return { ...base, kind: 'caught', ...state, ...index };
    default:
      // Execution end (reported as `finished`), Map iteration and Parallel branch bookkeeping.
      return undefined;
  }
}

/** `qa 5%` from an iteration's state ({item, step}); undefined at the top level. */
function whereOf(input: unknown): string | undefined {
  const i = input as { item?: { name?: unknown }; step?: { traffic?: unknown } } | null | undefined;
  const env = typeof i?.item?.name === 'string' ? i.item.name : undefined;
  const step = typeof i?.step?.traffic === 'number' ? `${i.step.traffic}%` : undefined;
  return [env, step].filter(Boolean).join(' ') || undefined;
}
