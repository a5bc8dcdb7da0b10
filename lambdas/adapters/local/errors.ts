/** Errors of the local adapters: the local engine, the local build table. */

/** Base class: anything the local engine or the local build table refuses or cannot do. */
export class LocalAdapterError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LocalAdapterError';
  }
}

/** A task of a `mock: true` run set to fail. Named like the error a mocked state throws. */
export class MockTaskFailedError extends LocalAdapterError {
  constructor(task: string) {
    super(`mock: task ${task} set to fail`);
    this.name = 'MockTaskFailed';
  }
}

/** A Task state whose type has no local function. */
export class MissingTaskFunctionError extends LocalAdapterError {
  constructor(type: string, state: string) {
    super(`no local function for task type "${type}" (state ${state})`);
    this.name = 'MissingTaskFunctionError';
  }
}

/**
 * aws-local-stepfunctions runs Map iterations through a p-limit queue and does not clear the queue
 * when an iteration fails, so with MaxConcurrency 1 the next item still starts; Step Functions starts
 * no new iteration once the Map has failed. Without this guard a failed canary step at 10 % would be
 * followed locally by the 100 % step. Tasks of a failed Map's later iterations are refused instead.
 */
export class MapIterationSkippedError extends LocalAdapterError {
  constructor(map: string) {
    super(`skipped: an earlier iteration of ${map} failed`);
    this.name = 'MapIterationSkipped';
  }
}

/** The local build table (dynalite) could not be started or created. */
export class LocalTableStartError extends LocalAdapterError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LocalTableStartError';
  }
}

/** `.vouch/platform.json`, where a running local platform says where its table is, cannot be read. */
export class PlatformInfoInvalidError extends LocalAdapterError {
  constructor(infoFile: string, options?: { cause?: unknown }) {
    super(`${infoFile} is not valid JSON; delete it if no local platform runs`, options);
    this.name = 'PlatformInfoInvalidError';
  }
}

/** A Task state's payload is not a TaskInput (contract.ts): names the state and each bad field. */
export class TaskInputInvalidError extends LocalAdapterError {
  constructor(
    state: string,
    cause: { readonly issues: readonly { path: PropertyKey[]; message: string }[] },
  ) {
    const problems = cause.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    super(`state ${state} got a payload that is not a task input: ${problems}`, { cause });
    this.name = 'TaskInputInvalidError';
  }
}

/** The canvas library's 2D context lacks a drawing method chart.js calls: the PNG cannot be drawn. */
export class ChartCanvasUnsupportedError extends LocalAdapterError {
  constructor(missing: readonly string[]) {
    super(`The canvas 2D context has no ${missing.join(', ')}: chart.js cannot draw the chart`);
    this.name = 'ChartCanvasUnsupportedError';
  }
}
