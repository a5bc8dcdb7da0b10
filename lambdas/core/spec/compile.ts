import type { TaskType } from '../pipeline/contract.ts';
import { taskStateTimeoutSeconds } from '../pipeline/taskTimeouts.ts';
import { ConflictingPipeOptionsError, UnknownTaskError } from './errors.ts';
import { pipeShapeOf } from './pipeShape.ts';
import type { PipeSpec, StageSpec, TaskSpec } from './schema.ts';

/**
 * The compiler: a pipe (a flavour with its fragments resolved) -> Amazon States Language.
 * A pure function: the same pipe always gives the same JSON, which CDK deploys to Step Functions
 * (ARNs filled by `definitionSubstitutions`) and the local engine runs in-process.
 *
 * Shape of the output:
 *   begin (Pass) -> first stages -> main stages -> last stages -> end (Choice) -> succeeded | failed
 * Every state of `first` and `main` catches States.ALL into `$.error` and jumps to the first state
 * of `last`, so cleanup always runs; `end` then fails the execution with the original Error and Cause
 * (Fail.ErrorPath/CausePath). A failure inside `last` is caught too, so later cleanup still runs.
 */

export type AslState = Record<string, unknown>;
export interface AslDefinition {
  Comment: string;
  StartAt: string;
  States: Record<string, AslState>;
  TimeoutSeconds?: number;
}

export interface CompileOptions {
  /** Stop after this task: keep `first`, `main` up to it (its stage cut after it), and `last`. */
  readonly runTo?: string;
  /** Run only this task, alone. */
  readonly runTask?: string;
}

/** Task types whose Lambda hands the task token on and returns; something else resumes the execution. */
export const CALLBACK_TASK_TYPES: readonly TaskType[] = ['verify', 'build', 'test'];

/** The definitionSubstitutions key naming the Lambda of a task type. */
export const substitutionKey = (type: TaskType): string => `TaskFn_${type}`;

/**
 * Throttling that outlasted the SDK's own retries (standard mode, 3 attempts): the build table's
 * (BuildDataThrottledError, adapters/dynamo/sdkErrors.ts) and the raw codes of the other services a
 * task calls (EC2 `RequestLimitExceeded`, ELB/CloudWatch/Scheduler/SFN `ThrottlingException`, SNS
 * `ThrottledException`). A rate limit passes: the state's backoff retries it.
 */
export const THROTTLING_ERRORS = [
  'BuildDataThrottledError',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
] as const;

/** Errors a task may be retried on: Lambda's own transient faults, throttling, and ours (TransientTaskError). */
const TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  ...THROTTLING_ERRORS,
  'TransientTaskError',
];

/** Waiting for a deploy lock: up to LOCK_QUEUE_RETRY.MaxAttempts returns to the queue, then the run fails. */
export const LOCK_QUEUE_RETRY = {
  ErrorEquals: ['LockQueued'],
  IntervalSeconds: 15,
  MaxAttempts: 240,
  BackoffRate: 1,
} as const;

/**
 * A Lambda that ran out of time (the runtime's `Sandbox.Timedout`; `Lambda.Unknown` when the service
 * cannot say more) or a bounded wait that gave up (WaiterTimeoutError): bake, provision and deploy are
 * re-entrant, so a retry resumes the wait where the EC2 resources are (lambdas/adapters/aws/target/errors.ts).
 */
const RESUMABLE_ERRORS = ['Sandbox.Timedout', 'Lambda.Unknown', 'WaiterTimeoutError'];

/**
 * A verification window's Task state waits as long as its window plus slack (evidenceTasks.ts
 * verifyTimeoutSeconds), not a fixed day: a window-end invocation that failed (its retries exhausted)
 * then ends in States.Timeout and the decide step soon after the window, not 25 h later. The length
 * depends on the run (`.vouch.yml` verification, the canary step's window, a pause), so the state
 * before the window (`<verify>-timeout`, the verify function asked `timeoutOnly`) computes it at each
 * (re)open and the Task reads it with TimeoutSecondsPath: an extension or a pause enters the Task
 * again with its own timeout, never a shortened one.
 */
export const VERIFY_TIMEOUT_SUFFIX = '-timeout';
/**
 * A build or test callback: the longest command `.vouch.yml` allows (8 h, spec/schema.ts) plus an hour for
 * CodeBuild's queue and provisioning. A build killed before post_build (which sends the token) then fails
 * the run with States.Timeout after that, not after a day.
 */
const COMMAND_CALLBACK_TIMEOUT_SECONDS = 9 * 3600;
/**
 * A build or test callback also fails when its build stops sending heartbeats: the buildspec sends one
 * a minute from its install phase until its container ends, so a build stopped, timed out or failed
 * before post_build (the only phase that reports) fails the state with States.HeartbeatTimeout within
 * ten minutes instead of at the 9 h timeout. Ten minutes leave room for CodeBuild's queue and
 * provisioning before the first heartbeat (a build queued longer fails the run: raise this then).
 */
export const COMMAND_CALLBACK_HEARTBEAT_SECONDS = 600;
/** A whole run, including every verification window (Standard workflows allow up to a year). */
const EXECUTION_TIMEOUT_SECONDS = 7 * 24 * 3600;

/** Marks the states compiled from a stage's `onFailure` (the local engine needs to know them). */
export const COMPENSATION_COMMENT = 'compensation:';

export const END_STATES = {
  succeeded: 'succeeded',
  failed: 'failed',
  cleanupFailed: 'cleanup-failed',
} as const;

/** Where a scope keeps the run, its own results and the item it iterates on. */
interface Scope {
  readonly run: string;
  readonly out: string;
  /** Extra Parameters given to tasks of this scope. */
  readonly extra: Record<string, string>;
}
const TOP: Scope = { run: '$', out: '$.out', extra: {} };
const EACH: Scope = { run: '$.run', out: '$.out', extra: { 'item.$': '$.item', 'scope.$': '$.out' } };
/** Compensation tasks also get the failure that triggered them. */
const COMPENSATE: Scope = { ...EACH, extra: { ...EACH.extra, 'error.$': '$.error' } };
const STEP: Scope = {
  run: '$.run',
  out: '$.out',
  extra: { 'item.$': '$.item', 'scope.$': '$.out', 'step.$': '$.step' },
};

type Failure = { next: string; resultPath: string } | undefined;

export function compilePipe(pipe: PipeSpec, options: CompileOptions = {}): AslDefinition {
  const selected = withPipeShape(pipe.name, selectStages(pipe, options));
  const states: Record<string, AslState> = {};
  const lastStart = selected.last[0] ? firstStateName(selected.last[0]) : 'end';

  states.begin = {
    Type: 'Pass',
    Comment: 'Results of tasks go to $.out.<task>',
    Result: {},
    ResultPath: '$.out',
  };
  const body = [...selected.first, ...selected.main];
  let previous = 'begin';
  const link = (from: string, to: string) => {
    const s = states[from];
    if (s) s.Next = to;
  };
  for (const stage of body) {
    const { start, end } = emitStage(stage, states, TOP, { next: lastStart, resultPath: '$.error' });
    link(previous, start);
    previous = end;
  }
  for (const stage of selected.last) {
    // Cleanup goes on after a cleanup failure; the failure is kept for the verdict at `end`.
    const { start, end } = emitStage(stage, states, TOP, 'cleanup');
    link(previous, start);
    previous = end;
  }
  link(previous, 'end');
  states.end = {
    Type: 'Choice',
    Choices: [
      { Variable: '$.error', IsPresent: true, Next: END_STATES.failed },
      { Variable: '$.cleanupError', IsPresent: true, Next: END_STATES.cleanupFailed },
    ],
    Default: END_STATES.succeeded,
  };
  states[END_STATES.succeeded] = { Type: 'Succeed' };
  states[END_STATES.failed] = { Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' };
  states[END_STATES.cleanupFailed] = {
    Type: 'Fail',
    ErrorPath: '$.cleanupError.Error',
    CausePath: '$.cleanupError.Cause',
  };
  return resolveCleanupCatches({
    Comment: `Vouch pipe "${pipe.name}"${describeOptions(options)}: ${pipe.description}`,
    StartAt: 'begin',
    TimeoutSeconds: EXECUTION_TIMEOUT_SECONDS,
    States: states,
  });
}

/**
 * The `version` task stores the run's pipe shape with its build (the stages this run has, after
 * run-to / run-task), so history draws each execution as it ran. It travels as a task parameter:
 * the Lambda on AWS sees only its task input.
 */
function withPipeShape(
  name: string,
  selected: Pick<PipeSpec, 'first' | 'main' | 'last'>,
): Pick<PipeSpec, 'first' | 'main' | 'last'> {
  const pipeShape = pipeShapeOf({ name, ...selected });
  const tag = (stages: readonly StageSpec[]) =>
    stages.map((s) => ({
      ...s,
      tasks: s.tasks.map((t) => (t.type === 'version' ? { ...t, params: { ...t.params, pipeShape } } : t)),
    }));
  return { first: tag(selected.first), main: tag(selected.main), last: tag(selected.last) };
}

function describeOptions(o: CompileOptions): string {
  if (o.runTask) return ` (run-task ${o.runTask})`;
  if (o.runTo) return ` (run-to ${o.runTo})`;
  return '';
}

/** Every task name of a pipe, in declared order (onFailure tasks after their stage's tasks). */
export function taskNames(pipe: PipeSpec): string[] {
  return [...pipe.first, ...pipe.main, ...pipe.last].flatMap((s) => [
    ...s.acquire.map((t) => t.name),
    ...s.tasks.map((t) => t.name),
    ...s.onFailure.map((t) => t.name),
  ]);
}

/** The stages a run with these options runs (what `compilePipe` compiles, and `vouch show` draws). */
export function selectStages(
  pipe: PipeSpec,
  options: CompileOptions,
): Pick<PipeSpec, 'first' | 'main' | 'last'> {
  if (options.runTask && options.runTo)
    throw new ConflictingPipeOptionsError('run-to and run-task cannot be combined');
  const target = options.runTask ?? options.runTo;
  if (!target) return pipe;
  const sections = ['first', 'main', 'last'] as const;
  for (const section of sections) {
    const stages = pipe[section];
    const index = stages.findIndex((s) => s.tasks.some((t) => t.name === target));
    if (index < 0) continue;
    const stage = stages[index] as StageSpec;
    const taskIndex = stage.tasks.findIndex((t) => t.name === target);
    if (options.runTask) {
      const only: StageSpec = {
        ...stage,
        acquire: [],
        tasks: [stage.tasks[taskIndex] as TaskSpec],
        parallel: false,
      };
      return { first: [], main: [only], last: [] };
    }
    const cut: StageSpec = { ...stage, tasks: stage.tasks.slice(0, taskIndex + 1) };
    const upTo = [...stages.slice(0, index), cut];
    if (section === 'first') return { first: upTo, main: [], last: pipe.last };
    if (section === 'main') return { first: pipe.first, main: upTo, last: pipe.last };
    return { first: pipe.first, main: pipe.main, last: upTo };
  }
  throw new UnknownTaskError(target, taskNames(pipe));
}

function firstStateName(stage: StageSpec): string {
  if (stage.parallel || stage.each) return stage.stage;
  const task = stage.tasks[0] as TaskSpec;
  if (task.type === 'verify') return `${task.name}${VERIFY_TIMEOUT_SUFFIX}`;
  return task.type === 'build' || task.type === 'test' ? `${task.name}-has-command` : task.name;
}

/** Emits a stage's states; returns its first state and the state whose Next continues the pipe. */
function emitStage(
  stage: StageSpec,
  states: Record<string, AslState>,
  scope: Scope,
  failure: Failure | 'cleanup',
): { start: string; end: string } {
  if (stage.each) return emitEach(stage, states, failure);
  if (stage.parallel) {
    const parallel: AslState = {
      Type: 'Parallel',
      Comment: `Stage ${stage.stage}: tasks run at the same time; results in order at ${scope.out}.${stage.stage}`,
      Branches: stage.tasks.map((task) => {
        const branchStates: Record<string, AslState> = {};
        const { start } = emitTask(task, branchStates, scope, undefined, {
          resultPath: '$.result',
          outputPath: '$.result',
        });
        return { StartAt: start, States: branchStates };
      }),
      ResultPath: `${scope.out}.${stage.stage}`,
    };
    applyFailure(parallel, stage.stage, failure);
    states[stage.stage] = parallel;
    return { start: stage.stage, end: stage.stage };
  }
  let start = '';
  let previous = '';
  for (const task of stage.tasks) {
    const { start: s, end } = emitTask(task, states, scope, failure);
    if (!start) start = s;
    if (previous) (states[previous] as AslState).Next = s;
    previous = end;
  }
  return { start, end: previous };
}

function applyFailure(state: AslState, name: string, failure: Failure | 'cleanup'): void {
  if (failure === 'cleanup') {
    // `@next:` is resolved to the state's own Next once the pipe is linked (resolveCleanupCatches).
    state.Catch = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.cleanupError', Next: `@next:${name}` }];
    return;
  }
  if (failure)
    state.Catch = [{ ErrorEquals: ['States.ALL'], ResultPath: failure.resultPath, Next: failure.next }];
}

/** One task: a Task state, or for composite types (canary) the states it expands to. */
function emitTask(
  task: TaskSpec,
  states: Record<string, AslState>,
  scope: Scope,
  failure: Failure | 'cleanup',
  paths: { resultPath?: string; outputPath?: string } = {},
): { start: string; end: string } {
  if (task.type === 'canary') return emitCanary(task, states, failure);
  const type = task.type;
  const payload: Record<string, unknown> = {
    task: { name: task.name, type, params: task.params },
    'run.$': scope.run,
    ...scope.extra,
  };
  const callback = CALLBACK_TASK_TYPES.includes(type);
  const state: AslState = callback
    ? {
        Type: 'Task',
        Comment: `${type}: hands its task token on; resumed by SendTaskSuccess/SendTaskFailure`,
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: {
          FunctionName: `\${${substitutionKey(type)}}`,
          Payload: { ...payload, 'token.$': '$$.Task.Token' },
        },
        ...(type === 'verify'
          ? { TimeoutSecondsPath: `${scope.out}.${task.name}${VERIFY_TIMEOUT_SUFFIX}.timeoutSeconds` }
          : {
              TimeoutSeconds: COMMAND_CALLBACK_TIMEOUT_SECONDS,
              HeartbeatSeconds: COMMAND_CALLBACK_HEARTBEAT_SECONDS,
            }),
      }
    : {
        Type: 'Task',
        Resource: `\${${substitutionKey(type)}}`,
        Parameters: payload,
        TimeoutSeconds: taskStateTimeoutSeconds(type),
      };
  state.ResultPath = paths.resultPath ?? `${scope.out}.${task.name}`;
  if (paths.outputPath) state.OutputPath = paths.outputPath;
  state.Retry = [
    {
      ErrorEquals: TRANSIENT_ERRORS,
      IntervalSeconds: 2,
      MaxAttempts: 3,
      BackoffRate: 2,
      JitterStrategy: 'FULL',
    },
    // A run waiting for another's deploy lock comes back to its place in the queue: the queue's bound.
    ...(type === 'lock' ? [LOCK_QUEUE_RETRY] : []),
    // Once more after a Lambda or waiter timeout: the retried task resumes its wait.
    { ErrorEquals: RESUMABLE_ERRORS, IntervalSeconds: 5, MaxAttempts: 2, BackoffRate: 1 },
  ];
  states[task.name] = state;
  applyFailure(state, task.name, failure);
  if (type === 'verify') addDecideOnTimeout(task, state, states, payload);
  if (paths.outputPath) state.End = true;
  if (type === 'verify') {
    return { start: addVerifyTimeout(task, state, states, scope, payload, failure), end: task.name };
  }
  // A build runs without a command too: it still packs and uploads the artifact bake needs on AWS.
  if (type === 'test') {
    return { start: skipWithoutCommand(task.name, type, state, states, scope), end: task.name };
  }
  return { start: task.name, end: task.name };
}

/**
 * `test` waits for a task token that only its CodeBuild build sends: without a command in `.vouch.yml`
 * no build starts, so the state machine skips the Task instead of entering it (a token nobody sends
 * would hold the run until the Task's timeout). The task function's own `skipped` answer is the same,
 * for the engines that call it directly. `build` is never skipped: without a command its build still
 * packs the source and uploads the artifact that bake images on AWS.
 */
function skipWithoutCommand(
  name: string,
  type: 'test',
  task: AslState,
  states: Record<string, AslState>,
  scope: Scope,
): string {
  const choice = `${name}-has-command`;
  const skipped = `${name}-skipped`;
  states[choice] = {
    Type: 'Choice',
    Comment: `${name} runs only when .vouch.yml has ${type}.command`,
    Choices: [{ Variable: `${scope.run}.config.${type}.command`, IsPresent: true, Next: name }],
    Default: skipped,
  };
  states[skipped] = {
    Type: 'Pass',
    Result: { skipped: `no ${type}.command in .vouch.yml` },
    ResultPath: task.ResultPath,
    ...(task.OutputPath ? { OutputPath: task.OutputPath } : {}),
    Next: `@follow:${name}`,
  };
  return choice;
}

/**
 * The state before a window: the verify function, asked `timeoutOnly`, answers `{ timeoutSeconds }` for
 * the window this task is about to open (its length, with the step's or the pause's, plus slack); the
 * verify Task reads it with TimeoutSecondsPath. Retried and caught like the verify Task itself.
 */
function addVerifyTimeout(
  task: TaskSpec,
  verify: AslState,
  states: Record<string, AslState>,
  scope: Scope,
  payload: Record<string, unknown>,
  failure: Failure | 'cleanup',
): string {
  const name = `${task.name}${VERIFY_TIMEOUT_SUFFIX}`;
  states[name] = {
    Type: 'Task',
    Comment: `How long ${task.name} waits for its window to be resumed: the window's length plus slack`,
    Resource: `\${${substitutionKey('verify')}}`,
    Parameters: { ...payload, task: { name, type: 'verify', params: { ...task.params, timeoutOnly: true } } },
    TimeoutSeconds: taskStateTimeoutSeconds('verify'),
    ResultPath: `${scope.out}.${name}`,
    Retry: verify.Retry,
    Next: task.name,
  };
  // `cleanup` resolves to the Next of the state it is on: for this one, the window's own continuation.
  if (failure === 'cleanup') {
    (states[name] as AslState).Catch = [
      { ErrorEquals: ['States.ALL'], ResultPath: '$.cleanupError', Next: `@next:${task.name}` },
    ];
  } else applyFailure(states[name] as AslState, name, failure);
  return name;
}

/**
 * A window normally ends by its one-time schedule (or an alarm) resuming the task token. If neither
 * came, the Task's timeout is caught and a `decide` step reads the evidence and gives the verdict,
 * so a window can never hang and never pass without a decision.
 */
function addDecideOnTimeout(
  task: TaskSpec,
  verify: AslState,
  states: Record<string, AslState>,
  payload: Record<string, unknown>,
): void {
  const name = `${task.name}-decide`;
  const onTimeout = { ErrorEquals: ['States.Timeout'], ResultPath: `$.timeout`, Next: name };
  verify.Catch = [onTimeout, ...((verify.Catch as unknown[]) ?? [])];
  states[name] = {
    Type: 'Task',
    Comment: `Closes ${task.name} when its timeout fired before the window-end schedule`,
    Resource: `\${${substitutionKey('decide')}}`,
    Parameters: { ...payload, task: { name, type: 'decide', params: task.params } },
    TimeoutSeconds: taskStateTimeoutSeconds('decide'),
    ResultPath: verify.ResultPath,
    ...(verify.OutputPath ? { OutputPath: verify.OutputPath } : {}),
    Retry: verify.Retry,
    ...(verify.Catch && (verify.Catch as unknown[]).length > 1
      ? { Catch: (verify.Catch as unknown[]).slice(1) }
      : {}),
    Next: `@follow:${task.name}`,
  };
}

/**
 * A release to one environment (a Map over the run's release environments, one at a time).
 * With `onFailure`, a failed task runs the compensation tasks (rollback, unlock) and then fails the
 * iteration with the original error, which the Map's Catch hands to `last`.
 */
function emitEach(stage: StageSpec, states: Record<string, AslState>, failure: Failure | 'cleanup') {
  const inner: Record<string, AslState> = {};
  const failedName = `${stage.stage}-failed`;
  const compensation: Failure = stage.onFailure[0]
    ? { next: (stage.onFailure[0] as TaskSpec).name, resultPath: '$.error' }
    : undefined;
  let start = '';
  let previous = '';
  // Acquire tasks fail the iteration straight away: nothing was taken, so there is nothing to undo.
  const notAcquired = `${stage.stage}-not-acquired`;
  for (const task of stage.acquire) {
    const { start: s, end } = emitTask(task, inner, EACH, { next: notAcquired, resultPath: '$.error' });
    if (!start) start = s;
    if (previous) (inner[previous] as AslState).Next = s;
    previous = end;
  }
  if (stage.acquire.length > 0)
    inner[notAcquired] = { Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' };
  for (const task of stage.tasks) {
    const { start: s, end } = emitTask(task, inner, EACH, compensation);
    if (!start) start = s;
    if (previous) (inner[previous] as AslState).Next = s;
    previous = end;
  }
  const doneName = `${stage.stage}-done`;
  (inner[previous] as AslState).Next = doneName;
  inner[doneName] = { Type: 'Pass', Parameters: { 'item.$': '$.item', 'out.$': '$.out' }, End: true };
  if (stage.onFailure.length > 0) {
    for (const task of stage.onFailure) emitTask(task, inner, COMPENSATE, undefined);
    const names = stage.onFailure.map((t) => t.name);
    // A failing compensation step must not stop the next one (e.g. unlock after a failed rollback).
    names.forEach((name, i) => {
      const s = inner[name] as AslState;
      s.Comment = `${COMPENSATION_COMMENT} runs when stage ${stage.stage} fails, then the failure goes on`;
      const next = names[i + 1] ?? failedName;
      s.Next = next;
      s.Catch = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.compensationError', Next: next }];
    });
    inner[failedName] = { Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' };
  }
  const map: AslState = {
    Type: 'Map',
    Comment: `Stage ${stage.stage}: once per item of $.config.${stage.each}, one at a time`,
    ItemsPath: `$.config.${stage.each}`,
    MaxConcurrency: 1,
    ItemSelector: { 'run.$': '$', 'item.$': '$$.Map.Item.Value', out: {} },
    ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: start, States: inner },
    ResultPath: `$.out.${stage.stage}`,
  };
  applyFailure(map, stage.stage, failure);
  states[stage.stage] = map;
  return { start: stage.stage, end: stage.stage };
}

/**
 * A canary: for each traffic step (a Map over the service's steps, one at a time):
 *   shift the canary weight -> verify (a window, resumed by an alarm or the window's end)
 *   -> judge canary against baseline -> PASS: next step; EXTEND: verify again; PAUSE: wait for a
 *   person; anything else: fail the step (and the release rolls back).
 * The number of state transitions per step is constant, whatever the window's length.
 */
function emitCanary(task: TaskSpec, states: Record<string, AslState>, failure: Failure | 'cleanup') {
  const n = (suffix: string) => `${task.name}-${suffix}`;
  const inner: Record<string, AslState> = {};
  const sub = (name: string, type: TaskType, params: Record<string, unknown> = {}): TaskSpec => ({
    name,
    type,
    params: { ...task.params, ...params } as TaskSpec['params'],
  });
  emitTask(sub(n('shift'), 'shift'), inner, STEP, undefined);
  // A window is entered through its timeout state (addVerifyTimeout), an extension and a pause too.
  const verify = emitTask(sub(n('verify'), 'verify', { canary: true }), inner, STEP, undefined).start;
  emitTask(sub(n('judge'), 'judge'), inner, STEP, undefined);
  const pause = emitTask(
    sub(n('pause'), 'verify', { canary: true, pause: true }),
    inner,
    STEP,
    undefined,
  ).start;
  (inner[n('shift')] as AslState).Next = verify;
  (inner[n('verify')] as AslState).Next = n('judge');
  (inner[n('judge')] as AslState).Next = n('verdict');
  (inner[n('pause')] as AslState).Next = n('judge');
  inner[n('verdict')] = {
    Type: 'Choice',
    Choices: [
      { Variable: `$.out.${n('judge')}.outcome`, StringEquals: 'PASS', Next: n('step-passed') },
      { Variable: `$.out.${n('judge')}.outcome`, StringEquals: 'EXTEND', Next: verify },
      { Variable: `$.out.${n('judge')}.outcome`, StringEquals: 'PAUSE', Next: pause },
    ],
    Default: n('step-failed'),
  };
  inner[n('step-passed')] = {
    Type: 'Pass',
    Parameters: { 'step.$': '$.step', 'verdict.$': `$.out.${n('judge')}` },
    End: true,
  };
  // A FAIL verdict is raised by the judge itself (error CanaryStepFailed, the verdict as its cause),
  // so its numbers travel with the error; this state only guards against an unknown outcome.
  inner[n('step-failed')] = {
    Type: 'Fail',
    Error: 'CanaryVerdictUnknown',
    Cause: 'The judge returned an outcome this pipe does not know',
  };
  const map: AslState = {
    Type: 'Map',
    Comment: 'Canary steps from the service config (traffic %), one at a time',
    ItemsPath: '$.run.config.canary.steps',
    MaxConcurrency: 1,
    ItemSelector: { 'run.$': '$.run', 'item.$': '$.item', 'out.$': '$.out', 'step.$': '$$.Map.Item.Value' },
    ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: n('shift'), States: inner },
    ResultPath: `$.out.${task.name}`,
  };
  applyFailure(map, task.name, failure);
  states[task.name] = map;
  return { start: task.name, end: task.name };
}

/** Resolves `@next:<state>` catch targets of cleanup states to the state that follows them. */
function resolveCleanupCatches(definition: AslDefinition): AslDefinition {
  const fix = (states: Record<string, AslState>) => {
    for (const state of Object.values(states)) {
      const catches = state.Catch as { Next: string }[] | undefined;
      for (const c of catches ?? []) {
        // `@next:X` of a state other than X (a window's timeout state): where X continues.
        if (c.Next.startsWith('@next:')) {
          const of = states[c.Next.slice('@next:'.length)] ?? state;
          c.Next = (of.Next as string | undefined) ?? 'end';
        }
      }
      // `@follow:X`: continue where state X continues (a decide step standing in for its verify).
      if (typeof state.Next === 'string' && state.Next.startsWith('@follow:')) {
        const followed = states[state.Next.slice('@follow:'.length)] as AslState;
        if (followed.End) {
          delete state.Next;
          state.End = true;
        } else state.Next = followed.Next;
      }
      for (const branch of (state.Branches as { States: Record<string, AslState> }[] | undefined) ?? []) {
        fix(branch.States);
      }
      const processor = state.ItemProcessor as { States: Record<string, AslState> } | undefined;
      if (processor) fix(processor.States);
    }
  };
  fix(definition.States);
  return definition;
}
