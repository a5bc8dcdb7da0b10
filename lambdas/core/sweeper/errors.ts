/** The sweeper was asked something it cannot decide safely (a bad policy, an undated resource). */
export class SweepError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SweepError';
  }
}

/** The sweeper's settings are not usable (the platform config's `platform.sweeper`, or the local options). */
export class SweepConfigError extends SweepError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SweepConfigError';
  }
}
