/**
 * Errors of the twin. Two kinds, both under TwinError:
 * - the twin's own refusals (a template it does not model, a call outside a Lambda, a fake used before
 *   it started), named after their class;
 * - AWS's answers the twin imitates. Their `name` is AWS's error code, because that is what the code
 *   under test reads: Step Functions Retry/Catch match `name` (aws-local-stepfunctions compares
 *   `ErrorEquals` with `error.name`), handlers compare `error.name` with the SDK's error codes, and an
 *   SDK error carries `$fault` and `$metadata` as the SDK's ServiceException does.
 */

/** Base class: anything the twin refuses, or an AWS error it raises in AWS's place. */
export class TwinError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TwinError';
  }
}

/** The synthesized templates use something the twin does not model: say what, rather than guess. */
export class TwinTemplateError extends TwinError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TwinTemplateError';
  }
}

/**
 * The twin was set up or driven wrongly: a secret value for a name no template references, a story for
 * a service the deploy did not register, a fake used before it started, the clock scaled twice.
 */
export class TwinSetupError extends TwinError {
  constructor(message: string) {
    super(message);
    this.name = 'TwinSetupError';
  }
}

/** An instance's artifact the twin cannot turn into a directory to run (no source for its commit). */
export class TwinArtifactError extends TwinError {
  constructor(
    readonly uri: string,
    why: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot resolve the artifact ${uri}: ${why}`, options);
    this.name = 'TwinArtifactError';
  }
}

/**
 * A handler called an API the twin has no fake for (or a form of it the fake does not model, `detail`):
 * the twin says so instead of answering something.
 */
export class UnmodelledCallError extends TwinError {
  constructor(service: string, command: string, detail?: string) {
    super(`the twin has no fake for ${service} ${command}${detail === undefined ? '' : ` (${detail})`}`);
    this.name = 'UnmodelledCallError';
  }
}

/** An AWS SDK call made outside any twin Lambda: every AWS call the twin answers is a function's. */
export class CallOutsideInvocationError extends TwinError {
  constructor(service: string, command: string) {
    super(`${service}:${command} called outside any twin Lambda: every AWS call is a function's`);
    this.name = 'CallOutsideInvocationError';
  }
}

/** An SDK call made after its invocation ended (timed out): Lambda would have frozen the sandbox. */
export class SandboxFrozenError extends TwinError {
  constructor(functionName: string, call: string) {
    super(`${functionName}: ${call} after the invocation ended (the sandbox is frozen on Lambda)`);
    this.name = 'SandboxFrozenError';
  }
}

/** A Lambda ran past its configured timeout; Step Functions sees the function error `Sandbox.Timedout`. */
export class LambdaTimeoutError extends TwinError {
  constructor(
    readonly functionName: string,
    readonly timeoutSeconds: number,
  ) {
    super(`${functionName}: Task timed out after ${timeoutSeconds.toFixed(2)} seconds`);
    this.name = 'Sandbox.Timedout';
  }
}

/** A Lambda invocation that fails before the handler runs (the function's init or runtime errors). */
export class InjectedInvocationError extends TwinError {
  constructor(functionName: string) {
    super(`${functionName}: the invocation failed (injected by twin.faults)`);
    this.name = 'Runtime.ExitError';
  }
}

/**
 * An AWS service error as the SDK raises one: `name` is the service's error code, `$fault` and
 * `$metadata.httpStatusCode` as the SDK's ServiceException carries them (5xx is the server's fault).
 */
export class AwsServiceError extends TwinError {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { httpStatusCode: number };
  constructor(code: string, message: string, httpStatusCode: number) {
    super(message);
    this.name = code;
    this.$fault = httpStatusCode >= 500 ? 'server' : 'client';
    this.$metadata = { httpStatusCode };
  }
}

/** An S3 error as the SDK raises it: `name` is S3's error code, with the HTTP status (404 unless given). */
export class S3ServiceError extends AwsServiceError {
  constructor(
    code: 'NoSuchBucket' | 'NoSuchKey' | 'NotFound' | 'InvalidObjectKey',
    message: string,
    httpStatusCode = 404,
  ) {
    super(code, message, httpStatusCode);
  }
}

/** An EC2 error as the SDK raises it: the code as `name` (EC2 API reference, error codes), HTTP 400. */
export class Ec2ServiceError extends AwsServiceError {
  constructor(code: string, message: string) {
    super(code, message, 400);
  }
}

/**
 * An AWS call the function's role policy does not allow, worded as AWS words it
 * (`User: <assumed role> is not authorized to perform: <action> on resource: <arn> ...`).
 */
export class AccessDeniedError extends AwsServiceError {
  constructor(
    readonly principal: string,
    readonly action: string,
    readonly resource: string,
    readonly decision: string,
  ) {
    super(
      'AccessDeniedException',
      `User: ${principal} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action (${decision})`,
      403,
    );
  }
}

/**
 * A host the twin does not serve, failing as Node's resolver fails it (`code` ENOTFOUND, `syscall`
 * getaddrinfo): what undici's `fetch failed` TypeError carries as its cause.
 */
export class HostNotFoundError extends TwinError {
  readonly code = 'ENOTFOUND';
  readonly syscall = 'getaddrinfo';
  constructor(readonly hostname: string) {
    super(`getaddrinfo ENOTFOUND ${hostname} (the twin has no such host)`);
    this.name = 'HostNotFoundError';
  }
}

/** An instance's health check got no answer within its timeout (ELB's reason `Target.Timeout`). */
export class HealthProbeTimeoutError extends TwinError {
  constructor(url: string, timeoutMs: number) {
    super(`Target.Timeout: ${url} did not answer within ${timeoutMs} ms`);
    this.name = 'HealthProbeTimeoutError';
  }
}

/** The error a SendTaskFailure hands to the waiting state: `name` is its `error`, what Catch/Retry match. */
export class TaskFailureError extends TwinError {
  constructor(error: string, cause: string) {
    super(cause);
    this.name = error;
  }
}

/**
 * A function error as Step Functions' Lambda integration reports it: Error is the errorType, Cause the
 * JSON payload Lambda returns (`errorType`, `errorMessage`, `trace`). The function's error is kept in
 * `functionError`, not in the standard `cause`: aws-local-stepfunctions writes `error.cause ?? error.message`
 * as the state's Cause in its event log, which must stay this JSON, as on Step Functions.
 */
export class LambdaFunctionError extends TwinError {
  constructor(readonly functionError: Error) {
    super(
      JSON.stringify({
        errorType: functionError.name,
        errorMessage: functionError.message,
        trace: (functionError.stack ?? '')
          .split('\n')
          .slice(1, 6)
          .map((l) => l.trim()),
      }),
    );
    this.name = functionError.name;
  }
}

/** A task state ran past its TimeoutSeconds (or TimeoutSecondsPath): Step Functions' `States.Timeout`. */
export class StatesTimeoutError extends TwinError {
  constructor() {
    super('the task ran past its TimeoutSeconds');
    this.name = 'States.Timeout';
  }
}

/** A task state got no heartbeat within HeartbeatSeconds: Step Functions' `States.HeartbeatTimeout`. */
export class HeartbeatTimeoutError extends TwinError {
  constructor() {
    super('no heartbeat within HeartbeatSeconds');
    this.name = 'States.HeartbeatTimeout';
  }
}

/** A Map iteration not started because an earlier one failed the Map (stepFunctions.ts); never read. */
export class IterationCancelledError extends TwinError {
  constructor() {
    super('the Map state already failed');
    this.name = 'IterationCancelledError';
  }
}
