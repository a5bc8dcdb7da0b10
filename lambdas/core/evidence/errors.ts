/** Typed errors of the evidence domain (bots, alarms, verification windows). */

/** A `.vouch.yml` evidence section (bots, alarms, verification) that does not validate. */
export class EvidenceSpecError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EvidenceSpecError';
  }
}

/** A bot step used a `{{name}}` that no earlier step saved. */
export class BotTemplateError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BotTemplateError';
  }
}

/** An alarm definition that CloudWatch would refuse (e.g. datapointsToAlarm > evaluationPeriods). */
export class AlarmDefinitionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AlarmDefinitionError';
  }
}

/** The verify task was invoked without what it needs (token, environment). */
export class VerifyTaskInputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VerifyTaskInputError';
  }
}

/**
 * The window's verdict was FAILED and the window resumes its task with a failure (verdict delivery
 * `failure`). The name is what the state machine's Catch `ErrorEquals` matches.
 */
export class VerificationFailedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VerificationFailed';
  }
}

/**
 * A waiting verify task reached its timeout on the local engine. Named like the Step Functions error
 * (`States.Timeout`) so the same Catch routes it to the decide step locally and on AWS.
 */
export class TaskTimedOutError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'States.Timeout';
  }
}

/** Reading the evidence for a window failed (metric store / CloudWatch). */
export class EvidenceUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EvidenceUnavailableError';
  }
}
