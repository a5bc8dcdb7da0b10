import type { CanaryVerdict } from '../canary/judge.ts';
import type { JsonValue } from './contract.ts';

/**
 * Errors a task raises to Step Functions. `name` is what `ErrorEquals` matches and the Fail state
 * shows; the message is JSON when it carries the numbers of a decision, so the Cause keeps them
 * (the rollback task and the Slack message read it back).
 */

/** Retried by the state machine with backoff (compile.ts TRANSIENT_ERRORS). */
export class TransientTaskError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientTaskError';
  }
}

/** The service's config cannot do what the pipe asks (e.g. bake without run.command). Not retried. */
export class PipelineConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PipelineConfigError';
  }
}

/** A task needs the result of an earlier one that is not there. */
export class MissingTaskResultError extends Error {
  constructor(task: string, needed: string) {
    super(`task ${task} needs the result of the "${needed}" task, which did not run`);
    this.name = 'MissingTaskResultError';
  }
}

/** Evidence said no: a window, bots in the test environment. The Cause is JSON with the evidence. */
export class VerificationFailedError extends Error {
  readonly evidence: JsonValue;
  constructor(summary: string, evidence: JsonValue) {
    super(JSON.stringify({ summary, evidence }));
    this.name = 'VerificationFailed';
    this.evidence = evidence;
  }
}

/** The judge found the canary worse than the running version beyond the allowed decay. */
export class CanaryStepFailedError extends Error {
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
