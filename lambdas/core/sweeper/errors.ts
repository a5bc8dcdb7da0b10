/** The sweeper was asked something it cannot decide safely (a bad policy, an undated resource). */
export class SweepError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SweepError';
  }
}
