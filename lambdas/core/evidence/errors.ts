/** Typed errors of the evidence domain (bots, alarms, verification windows). */

/** Base class: anything wrong with the evidence a window or bot reads. */
export class EvidenceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EvidenceError';
  }
}

/** A `.vouch.yml` evidence section (bots, alarms, verification) that does not validate. */
export class EvidenceSpecError extends EvidenceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EvidenceSpecError';
  }
}

/** A bot step used a `{{name}}` that no earlier step saved. */
export class BotTemplateError extends EvidenceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BotTemplateError';
  }
}

/** An alarm definition that CloudWatch would refuse (e.g. datapointsToAlarm > evaluationPeriods). */
export class AlarmDefinitionError extends EvidenceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AlarmDefinitionError';
  }
}

/** The verify task was invoked without what it needs (token, environment). */
export class VerifyTaskInputError extends EvidenceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VerifyTaskInputError';
  }
}

/**
 * A waiting verify task reached its timeout on the local engine. Named like the Step Functions error
 * (`States.Timeout`) so the same Catch routes it to the decide step locally and on AWS.
 */
export class TaskTimedOutError extends EvidenceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'States.Timeout';
  }
}

/** Reading the evidence for a window failed (metric store / CloudWatch). */
export class EvidenceUnavailableError extends EvidenceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EvidenceUnavailableError';
  }
}

/**
 * A task failed locally the way SendTaskFailure fails it on AWS: its `name` is the error the state
 * machine's Catch matches (`VerificationFailed`, `States.Timeout`, `Aborted`, ...).
 */
export class TaskFailure extends EvidenceError {
  constructor(error: string, cause: string) {
    super(cause);
    this.name = error;
  }
}

/** A second wait on a task token that is already waiting (one task, one token). */
export class TaskTokenWaitingError extends EvidenceError {
  constructor(token: string) {
    super(`task token ${token} is already waiting`);
    this.name = 'TaskTokenWaitingError';
  }
}
