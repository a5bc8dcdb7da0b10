/** Errors of people's control actions (promote, abort, rollback). */

/** Base class: anything an operator control request is refused for. */
export class ControlError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ControlError';
  }
}

/** The request does not name a valid action, service or environment. */
export class InvalidControlRequestError extends ControlError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidControlRequestError';
  }
}

/** The caller is not identified (a control request must carry the caller's verified IAM identity). */
export class UnidentifiedCallerError extends ControlError {
  constructor(message: string) {
    super(message);
    this.name = 'UnidentifiedCallerError';
  }
}
