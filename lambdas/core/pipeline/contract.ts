/**
 * The contract between the compiled state machine and the task handlers.
 *
 * Every Task state invokes its handler with a `TaskInput`: the task as written in the pipe
 * (name, type, params) and the run state. A handler returns JSON; the state machine stores it at
 * `$.out.<taskName>`, so later tasks read earlier results from `run.out`.
 * The same payload reaches a Lambda on AWS (through `lambda:invoke`, Payload) and an in-process
 * function on one machine (aws-local-stepfunctions `taskResourceLocalHandlers`).
 */
import type { JsonValue } from '../shared/json.ts';

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

export type { JsonValue };

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
  /**
   * Set by the Step Functions starter, unique per StartExecution call, so that of racing starts of one
   * execution name only the one that created it succeeds (lambdas/adapters/aws/webhook/sfnStarter.ts).
   */
  readonly startRequest?: string;
  /** A hotfix: canary steps are judged against the baseline only, so the running version's own alarm does not block the fix. */
  readonly hotfix?: boolean;
  /** The service's validated `.vouch.yml`, plus lists the state machine iterates on. */
  readonly config: RunConfig;
}

/** The service settings a run carries (the validated `.vouch.yml`), plus derived lists. */
export interface RunConfig {
  readonly [key: string]: JsonValue;
  /** Environments that are not ephemeral, in order: the per-environment release stage iterates on these. */
  readonly releaseEnvironments: JsonValue[];
}

/** The run state that flows through the state machine. */
export interface RunState extends RunInput {
  /** Each task's result, by task name. */
  readonly out: Record<string, JsonValue>;
  /** Set by the Catch around `main` when a task failed. */
  readonly error?: { Error: string; Cause: string };
}

export interface TaskInput {
  readonly task: {
    readonly name: string;
    readonly type: TaskType;
    readonly params: Record<string, JsonValue>;
  };
  readonly run: RunState;
  /** Step Functions task token, present for `.waitForTaskToken` tasks (verify, build, test). */
  readonly token?: string;
  /** Inside a per-environment stage: the environment this iteration releases to. */
  readonly item?: JsonValue;
  /** Inside a per-environment stage: results of this iteration's earlier tasks, by task name. */
  readonly scope?: Record<string, JsonValue>;
  /** Inside a canary: the traffic step being judged. */
  readonly step?: number | { readonly traffic: number; readonly windowSeconds?: number };
  /** For compensation tasks (rollback): the failure that triggered them. */
  readonly error?: { readonly Error: string; readonly Cause: string };
}

/** A task implementation: the same function behind a Lambda handler and the local engine. */
export type TaskFunction = (input: TaskInput) => Promise<JsonValue>;
