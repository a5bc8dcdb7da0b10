/**
 * Faults a test injects into the twin (issue 13 item 4): each is an answer AWS really gives, armed in
 * the twin's SDK path or Lambda service, never in the product. A fault is armed for a number of calls
 * (or invocations) and then the twin answers normally again.
 *
 * The twin's SDK path replaces `send`, so the SDK's own retries (standard mode: 3 attempts) do not run:
 * an armed throttle is one that outlasted them, which is what reaches the handler on AWS.
 */
import { AwsServiceError, InjectedInvocationError } from './errors.ts';
import type { TwinLambdas } from './lambdaRunner.ts';
import type { TwinSdk } from './sdk.ts';

export class TwinFaults {
  constructor(
    private readonly sdk: TwinSdk,
    private readonly lambdas: TwinLambdas,
  ) {}

  /**
   * The next `times` calls of `service` `command` are throttled: DynamoDB's `ThrottlingException`,
   * EC2's `RequestLimitExceeded`, ELB's and the others' `ThrottlingException` (HTTP 400).
   */
  throttle(service: string, command: string, times = 1): void {
    const code = service === 'ec2' ? 'RequestLimitExceeded' : 'ThrottlingException';
    this.sdk.arm({
      service,
      command,
      times,
      error: () => new AwsServiceError(code, 'Rate exceeded', 400),
    });
  }

  /**
   * EC2 has no capacity for the instance type: the next `times` RunInstances calls that `when` accepts
   * (e.g. a test environment's) fail with `InsufficientInstanceCapacity` (HTTP 500).
   */
  insufficientCapacity(times: number, when?: (input: Record<string, unknown>) => boolean): void {
    this.sdk.arm({
      service: 'ec2',
      command: 'RunInstances',
      times,
      ...(when ? { when } : {}),
      error: () =>
        new AwsServiceError(
          'InsufficientInstanceCapacity',
          'We currently do not have sufficient capacity in the Availability Zone you requested.',
          500,
        ),
    });
  }

  /**
   * The next `times` calls of `service` `command` that `when` accepts (@default every call) hang for
   * `ms` of twin time: a handler waiting on one runs past its function's Timeout (Lambda ends it,
   * `Sandbox.Timedout`) when `ms` exceeds it.
   */
  stall(
    service: string,
    command: string,
    ms: number,
    times = 1,
    when?: (input: Record<string, unknown>) => boolean,
  ): void {
    this.sdk.arm({ service, command, times, delayMs: ms, ...(when ? { when } : {}) });
  }

  /** The next `times` invocations of the function whose handler file is `entry` fail before it runs. */
  failInvocations(entry: string, times: number): void {
    const fn = this.lambdas.byEntry(entry);
    this.lambdas.failNextInvocations(fn.arn, times, () => new InjectedInvocationError(fn.name));
  }
}
