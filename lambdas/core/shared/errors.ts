/** Errors of the contracts shared by every function and the stacks. */

/** A required environment variable is missing or empty: the function fails at cold start, not mid-run. */
export class MissingEnvironmentVariableError extends Error {
  constructor(readonly variable: string) {
    super(`Environment variable ${variable} is required`);
    this.name = 'MissingEnvironmentVariableError';
  }
}
