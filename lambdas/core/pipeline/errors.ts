import type { CanaryVerdict } from '../canary/judge.ts';
import type { JsonValue } from './contract.ts';

/**
 * Errors a task raises to Step Functions. `name` is what `ErrorEquals` matches and the Fail state
 * shows; the message is JSON when it carries the numbers of a decision, so the Cause keeps them
 * (the rollback task and the Slack message read it back).
 */

/** Base class: anything a pipeline task refuses or cannot do. */
export class PipelineError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PipelineError';
  }
}

/** Retried by the state machine with backoff (compile.ts TRANSIENT_ERRORS). */
export class TransientTaskError extends PipelineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientTaskError';
  }
}

/** The service's config cannot do what the pipe asks (e.g. bake without run.command). Not retried. */
export class PipelineConfigError extends PipelineError {
  constructor(message: string) {
    super(message);
    this.name = 'PipelineConfigError';
  }
}

/** A task needs the result of an earlier one that is not there. */
export class MissingTaskResultError extends PipelineError {
  constructor(task: string, needed: string) {
    super(`task ${task} needs the result of the "${needed}" task, which did not run`);
    this.name = 'MissingTaskResultError';
  }
}

/** Evidence said no: a window, bots in the test environment. The Cause is JSON with the evidence. */
export class VerificationFailedError extends PipelineError {
  readonly evidence: JsonValue;
  constructor(summary: string, evidence: JsonValue) {
    super(JSON.stringify({ summary, evidence }));
    this.name = 'VerificationFailed';
    this.evidence = evidence;
  }
}

/** The judge found the canary worse than the running version beyond the allowed decay. */
export class CanaryStepFailedError extends PipelineError {
  constructor(
    readonly environment: string,
    readonly step: number,
    readonly verdict: CanaryVerdict,
    readonly reason: string,
    readonly window: { from: number; to: number },
  ) {
    super(JSON.stringify({ environment, step, reason, window, verdict }));
    this.name = 'CanaryStepFailed';
  }
}

/**
 * Another run holds the deploy lock and this run waits its turn (its place in the queue is kept in the
 * build table). The state machine retries the lock task on it, which bounds the wait.
 */
export class LockQueuedError extends PipelineError {
  constructor(
    readonly service: string,
    readonly environment: string,
    readonly holder: string | undefined,
  ) {
    super(
      `${service} in ${environment} is being released by ${holder ?? 'another run'}; waiting in the queue`,
    );
    this.name = 'LockQueued';
  }
}

/** A newer push of the service took this run's place: it releases nothing there (newest wins). */
export class LockSupersededError extends PipelineError {
  constructor(
    readonly service: string,
    readonly environment: string,
    readonly version: number,
    readonly by: string,
    readonly byVersion: number,
  ) {
    super(
      `v${version} of ${service} is superseded in ${environment} by v${byVersion} (${by}): newest push wins, ` +
        'so this run releases nothing there',
    );
    this.name = 'LockSuperseded';
  }
}

/** The run acts on an environment whose deploy lock it does not hold (never got it, or lost it). */
export class LockNotHeldError extends PipelineError {
  constructor(
    readonly service: string,
    readonly environment: string,
    readonly execution: string,
  ) {
    super(
      `${execution} does not hold the deploy lock of ${service} in ${environment}; it changes nothing there`,
    );
    this.name = 'LockNotHeld';
  }
}

/** The canary under judgement is gone: a person rolled it back (`vouch rollback`). */
export class CanaryRemovedError extends PipelineError {
  constructor(
    readonly environment: string,
    readonly version: number,
  ) {
    super(
      JSON.stringify({
        summary: `the canary v${version} in ${environment} was rolled back by a person; the release stops`,
      }),
    );
    this.name = 'ManualRollback';
  }
}

/** After promoting, the environment does not serve the version: nothing is recorded as PROMOTED. */
export class PromotionNotServingError extends PipelineError {
  constructor(
    readonly environment: string,
    readonly version: number,
    readonly serving: string | undefined,
  ) {
    super(
      JSON.stringify({
        summary: `${environment} serves ${serving ? `v${serving}` : 'nothing'} after promoting v${version}; not recorded as promoted`,
      }),
    );
    this.name = 'PromotionNotServing';
  }
}

/** The build data says a version runs in an environment that serves nothing: reconcile first. */
export class EnvironmentDriftError extends PipelineError {
  constructor(
    readonly environment: string,
    readonly recorded: number,
  ) {
    super(
      `the build data says v${recorded} runs in ${environment}, but it serves nothing; ` +
        'restart the platform (it reconciles) or correct the record before releasing',
    );
    this.name = 'EnvironmentDrift';
  }
}
