/** Errors of the pipeline task Lambdas on AWS. Names are what a Step Functions `ErrorEquals` matches. */

/** Base class: anything the pipeline task Lambda refuses before or after calling its task. */
export class TaskWiringError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TaskWiringError';
  }
}

/**
 * A task touched a port its Lambda did not wire. Each task Lambda builds only the clients its type
 * uses (least privilege): reaching another port is a bug in the handler's wiring, not a runtime case.
 */
export class PortNotWiredError extends TaskWiringError {
  constructor(
    readonly port: string,
    readonly taskType: string,
    member?: string,
  ) {
    super(
      `Port "${port}"${member ? ` (${member})` : ''} is not wired in the ${taskType} task Lambda; wire it in lambdas/handlers/tasks/${taskType}.ts and grant its calls in lib/platform/taskPermissions.ts`,
    );
    this.name = 'PortNotWiredError';
  }
}

/** The Lambda's event is not a `TaskInput` (contract.ts): the state machine's payload is wrong. */
export class TaskEventInvalidError extends TaskWiringError {
  constructor(taskType: string, problems: string, options?: { cause?: unknown }) {
    super(`The ${taskType} task Lambda got an invalid task event: ${problems}`, options);
    this.name = 'TaskEventInvalidError';
  }
}

/** The event is for another task type: the state machine invoked the wrong Lambda. */
export class TaskTypeMismatchError extends TaskWiringError {
  constructor(
    readonly expected: string,
    readonly received: string,
    taskName: string,
  ) {
    super(
      `Task ${taskName} has type ${received} but reached the ${expected} task Lambda; check the compiled state machine's function substitutions`,
    );
    this.name = 'TaskTypeMismatchError';
  }
}

/** SNS takes at most 256 KB per message (attributes included): a bigger notification is refused, not cut. */
export class NotificationTooLargeError extends TaskWiringError {
  constructor(
    readonly id: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(
      `Notification ${id} is ${bytes} bytes; SNS publishes at most ${limit}: shorten its summary or chart`,
    );
    this.name = 'NotificationTooLargeError';
  }
}

/** Bake on AWS needs the service's artifact in S3, and no task of the run reported one. */
export class BakeSourceNotFoundError extends TaskWiringError {
  constructor(service: string, commit: string) {
    super(
      `No s3:// artifact for ${service} at ${commit}: the build task must report {"artifact":"s3://..."} (its buildspec's send-task-success output) before bake runs on AWS`,
    );
    this.name = 'BakeSourceNotFoundError';
  }
}

/** The canary judge could not find the environment's baseline and canary target groups. */
export class CanaryTargetGroupsNotFoundError extends TaskWiringError {
  constructor(environmentId: string, detail: string, options?: { cause?: unknown }) {
    super(`Canary samples of ${environmentId}: ${detail}`, options);
    this.name = 'CanaryTargetGroupsNotFoundError';
  }
}
