/**
 * Port: where an open verification window keeps its Step Functions task token until an alarm event
 * or the window's end resumes it. Implemented on the build data table (DynamoDB / dynalite) by
 * lambdas/adapters/dynamo, and in memory for unit tests.
 */
export interface OpenWindow {
  readonly service: string;
  readonly environment: string;
  readonly execution: string;
  readonly version: number;
  /** Step Functions task token of the waiting verify task. */
  readonly token: string;
  /** ISO 8601. */
  readonly startedAt: string;
  /** ISO 8601. */
  readonly endsAt: string;
  /** Canary step (traffic %) when the window belongs to a canary step. */
  readonly step?: number;
  /** `verification.minBotSamples` the window was opened with (decide falls back to the default when absent). */
  readonly minBotSamples?: number;
  /** `verification.graceSeconds` the window was opened with (decide falls back to the default when absent). */
  readonly graceSeconds?: number;
  /**
   * A hotfix's canary window: the environment's alarms (the running version's) neither fail it nor
   * resume it; the canary judge compares the fix with the baseline. "No evidence" still fails it.
   */
  readonly ignoreAlarms?: boolean;
}

export interface WindowStore {
  /** Records a window as open for (service, environment); replaces a closed one. */
  openWindow(window: OpenWindow): Promise<void>;
  /** The open window of (service, environment), if any. */
  findOpenWindow(service: string, environment: string): Promise<OpenWindow | undefined>;
  /**
   * Atomically closes the window holding `token` (a conditional write). Returns false when it was
   * already closed or replaced, so of two resumers (alarm event, window end) exactly one sends the token.
   */
  closeWindow(service: string, environment: string, token: string): Promise<boolean>;
}
