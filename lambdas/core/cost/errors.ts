/**
 * Errors of cost collection. Each `name` is what a Lambda error metric, a log filter or a Step
 * Functions `ErrorEquals` matches, so an operator can tell "Cost Explorer throttled us" from "the
 * collector is misconfigured".
 */

/** Base class: anything cost collection refuses or cannot do. */
export class CostError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CostError';
  }
}

/** Options that cannot describe a collection run (bad day, look-back out of range...). */
export class InvalidCostInputError extends CostError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidCostInputError';
  }
}

/** Cost Explorer kept answering LimitExceededException after every retry with backoff. */
export class CostExplorerThrottledError extends CostError {
  constructor(
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(`Cost Explorer is still throttling (LimitExceededException) after ${attempts} attempts`, options);
    this.name = 'CostExplorerThrottledError';
  }
}

/** Cost Explorer answered with something the collector cannot read (a group without keys, a non-number). */
export class CostExplorerResponseError extends CostError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CostExplorerResponseError';
  }
}

/** Writing cost items to the build data table or metrics to CloudWatch failed. */
export class CostSinkError extends CostError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CostSinkError';
  }
}

/** Reading the collector's cost items from the build data table failed. */
export class CostReadError extends CostError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CostReadError';
  }
}
