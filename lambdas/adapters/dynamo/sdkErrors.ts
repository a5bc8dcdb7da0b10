import {
  ConditionalCheckFailedException,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  ThrottlingException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  BuildDataError,
  BuildDataThrottledError,
  BuildDataUnavailableError,
} from '../../core/builds/errors.ts';

/** A conditional write lost: the caller decides what that means in the domain. */
export function isConditionFailure(error: unknown): boolean {
  if (error instanceof ConditionalCheckFailedException) return true;
  return (
    error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed')
  );
}

/**
 * The one conditional write of the DynamoDB adapters: the SDK's output when it was written, undefined
 * when its condition did not hold (ConditionalCheckFailed, alone or as a transaction's cancellation
 * reason), which the caller turns into what it means in its domain. Any other failure is thrown as
 * `failure(error)`, the domain's error with the SDK error as its cause.
 */
export async function writeIfConditionHolds<T extends object>(
  write: () => Promise<T>,
  failure: (error: unknown) => Error,
): Promise<T | undefined> {
  try {
    return await write();
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw failure(error);
  }
}

/**
 * Throttling that is still there after the SDK's retries (standard mode, 3 attempts with backoff).
 * Caught by type; the name check covers the same errors when a mocked or dynalite answer is parsed
 * as a generic service exception.
 */
export function isThrottling(error: unknown): boolean {
  if (
    error instanceof ProvisionedThroughputExceededException ||
    error instanceof ThrottlingException ||
    error instanceof RequestLimitExceeded
  ) {
    return true;
  }
  const name = (error as { name?: string } | undefined)?.name;
  return name === 'ThrottlingException' || name === 'ProvisionedThroughputExceededException';
}

/** Rethrows an SDK error as a domain error; domain errors pass through untouched. */
export function toBuildDataError(operation: string, error: unknown): BuildDataError {
  if (error instanceof BuildDataError) return error;
  if (isThrottling(error)) return new BuildDataThrottledError(operation, { cause: error });
  return new BuildDataUnavailableError(operation, { cause: error });
}
