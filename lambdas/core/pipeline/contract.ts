/**
 * The contract between the compiled state machine and the task handlers.
 *
 * Every Task state invokes its handler with a `TaskInput`: the task as written in the pipe
 * (name, type, params) and the run state. A handler returns JSON; the state machine stores it at
 * `$.out.<taskName>`, so later tasks read earlier results from `run.out`.
 * The same payload reaches a Lambda on AWS (through `lambda:invoke`, Payload) and an in-process
 * function on one machine (aws-local-stepfunctions `taskResourceLocalHandlers`).
 */

/** Every task type a pipe may use; each is one Lambda on AWS and one local function here. */
export const TASK_TYPES = [
  'version', // allocate the next version for the commit (build data repository)
  'lock', // take the deploy lock of (service, environment)
  'unlock', // release it (in `last`)
  'build', // run the service's build command
  'test', // run the service's test command
  'bake', // make an immutable image of the service
  'provision', // create (test) or look up (qa, prod) an environment
  'deploy', // put an image into an environment at a weight
  'bots', // run bot scenarios against an environment once (functional / load tests)
  'verify', // open a verification window and wait for its verdict (task token)
  'decide', // close a window: read the evidence, return the verdict
  'shift', // set the canary weight for a canary step
  'judge', // compare canary with baseline for one canary step
  'promote', // record PROMOTED:<env> and make the canary the baseline
  'rollback', // set the canary weight to 0, stop it, record ROLLED_BACK:<env>
  'destroy', // tear down an ephemeral environment
  'report', // record the run's outcome in the build data repository
  'notify', // hand a message to the notification path (Slack)
] as const;

export type TaskType = (typeof TASK_TYPES)[number];

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** What a pushed commit brings to a pipeline run: the execution input. */
export interface RunInput {
  readonly service: string;
  readonly team: string;
  readonly solution: string;
  readonly repo: string;
  readonly commit: string;
  readonly branch: string;
  /** Execution name: on AWS the Step Functions execution name, derived from the webhook delivery id. */
  readonly execution: string;
  readonly pipe: string;
}

/** The run state that flows through the state machine. */
export interface RunState extends RunInput {
  /** Each task's result, by task name. */
  readonly out: Record<string, JsonValue>;
  /** Set by the Catch around `main` when a task failed. */
  readonly error?: { Error: string; Cause: string };
}

export interface TaskInput {
  readonly task: { readonly name: string; readonly type: TaskType; readonly params: Record<string, JsonValue> };
  readonly run: RunState;
  /** Step Functions task token, present for `.waitForTaskToken` tasks (verify). */
  readonly token?: string;
}

/** A task implementation: the same function behind a Lambda handler and the local engine. */
export type TaskFunction = (input: TaskInput) => Promise<JsonValue>;
