/** Errors of the twin. Names are what the state machine (Lambda errors) or a test matches. */

/** The synthesized templates use something the twin does not model: say what, rather than guess. */
export class TwinTemplateError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TwinTemplateError';
  }
}

/**
 * An AWS call the function's role policy does not allow, worded as AWS words it
 * (`User: <assumed role> is not authorized to perform: <action> on resource: <arn> ...`).
 */
export class AccessDeniedError extends Error {
  readonly $fault = 'client';
  readonly $metadata = { httpStatusCode: 403 };
  constructor(
    readonly principal: string,
    readonly action: string,
    readonly resource: string,
    readonly decision: string,
  ) {
    super(
      `User: ${principal} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action (${decision})`,
    );
    this.name = 'AccessDeniedException';
  }
}

/** A Lambda ran past its configured timeout; Step Functions sees the function error `Sandbox.Timedout`. */
export class LambdaTimeoutError extends Error {
  constructor(
    readonly functionName: string,
    readonly timeoutSeconds: number,
  ) {
    super(`${functionName}: Task timed out after ${timeoutSeconds.toFixed(2)} seconds`);
    this.name = 'Sandbox.Timedout';
  }
}

/** An SDK call made after its invocation ended (timed out): Lambda would have frozen the sandbox. */
export class SandboxFrozenError extends Error {
  constructor(functionName: string, call: string) {
    super(`${functionName}: ${call} after the invocation ended (the sandbox is frozen on Lambda)`);
    this.name = 'SandboxFrozenError';
  }
}

/** A handler called an API the twin has no fake for: the twin says so instead of answering something. */
export class UnmodelledCallError extends Error {
  constructor(service: string, command: string) {
    super(`the twin has no fake for ${service} ${command}`);
    this.name = 'UnmodelledCallError';
  }
}

/** An instance's artifact the twin cannot turn into a directory to run (no source for its commit). */
export class TwinArtifactError extends Error {
  constructor(
    readonly uri: string,
    why: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot resolve the artifact ${uri}: ${why}`, options);
    this.name = 'TwinArtifactError';
  }
}
