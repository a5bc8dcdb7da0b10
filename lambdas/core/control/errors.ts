/** Errors of people's control actions (promote, abort, rollback). */

/** The request does not name a valid action, service or environment. */
export class InvalidControlRequestError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidControlRequestError';
  }
}

/** The caller is not identified (a control request must carry the caller's verified IAM identity). */
export class UnidentifiedCallerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnidentifiedCallerError';
  }
}
