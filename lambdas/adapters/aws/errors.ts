/** Errors of the AWS wiring shared by every Lambda. */

/** A function's environment does not meet its contract (functionEnvironment.ts): says which variable. */
export class AwsEnvironmentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AwsEnvironmentError';
  }
}
