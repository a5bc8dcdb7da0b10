/** Errors of the release story the local platform tells (`npm run story`, the e2e story test). */

/** The story could not go on: the platform did not start a run or lost it, a fixture is missing. */
export class StoryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoryError';
  }
}
