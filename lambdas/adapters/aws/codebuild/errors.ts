/** Errors of the CodeBuild starter. Names are what a Step Functions `ErrorEquals` matches. */

/** Base class: anything that stops a CodeBuild build from starting or reporting. */
export class CodeBuildError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CodeBuildError';
  }
}

/** The task was not invoked with `.waitForTaskToken`, so the build could never report back. */
export class MissingTaskTokenError extends CodeBuildError {
  constructor(taskName: string, options?: { cause?: unknown }) {
    super(
      `Task ${taskName} needs a Step Functions task token: invoke it with lambda:invoke.waitForTaskToken and pass $$.Task.Token as "token"`,
      options,
    );
    this.name = 'MissingTaskTokenError';
  }
}

/** There is no CodeBuild project `vouch-<service>`: the service is not onboarded in the CDK app. */
export class CodeBuildProjectNotFoundError extends CodeBuildError {
  constructor(
    readonly projectName: string,
    options?: { cause?: unknown },
  ) {
    super(
      `CodeBuild project ${projectName} does not exist; add the service to the platform config and deploy`,
      options,
    );
    this.name = 'CodeBuildProjectNotFoundError';
  }
}

/** The account's concurrent build limit is reached: worth a Step Functions `Retry` with backoff. */
export class CodeBuildLimitError extends CodeBuildError {
  constructor(
    readonly projectName: string,
    options?: { cause?: unknown },
  ) {
    super(`CodeBuild refused to start ${projectName}: account build limit reached`, options);
    this.name = 'CodeBuildLimitError';
  }
}

/** CodeBuild refused the build for another reason (bad input, suspended account). */
export class CodeBuildStartError extends CodeBuildError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CodeBuildStartError';
  }
}
