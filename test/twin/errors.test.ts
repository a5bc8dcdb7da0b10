// The twin's errors (lambdas/twin/errors.ts) under its one base, TwinError: those that stand in for AWS
// keep what the code under test reads (Step Functions Retry/Catch match `name`; handlers read `name`,
// the SDK's `$fault` and `$metadata`), and the SDK path the twin patches onto the clients' `send` is
// put back as it was.
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  AccessDeniedError,
  AwsServiceError,
  CallOutsideInvocationError,
  Ec2ServiceError,
  HeartbeatTimeoutError,
  InjectedInvocationError,
  LambdaFunctionError,
  LambdaTimeoutError,
  S3ServiceError,
  StatesTimeoutError,
  TaskFailureError,
  TwinError,
} from '../../lambdas/twin/errors.ts';
import { TwinSdk } from '../../lambdas/twin/sdk.ts';

describe('the twin’s errors', () => {
  it('stand in for AWS with AWS’s error names, under the twin’s base', () => {
    const errors = [
      new StatesTimeoutError(),
      new HeartbeatTimeoutError(),
      new TaskFailureError('VerificationFailed', '{"outcome":"FAILED"}'),
      new LambdaTimeoutError('vouch-task-bake', 900),
      new InjectedInvocationError('vouch-task-bake'),
      new AwsServiceError('ThrottlingException', 'Rate exceeded', 400),
      new Ec2ServiceError('InvalidAMIID.NotFound', "The image id '[ami-1]' does not exist"),
      new S3ServiceError('NoSuchKey', 'The specified key does not exist.'),
      new AccessDeniedError('role', 'dynamodb:UpdateItem', 'arn:aws:dynamodb:::table/t', 'no statement'),
    ];

    expect(errors.every((e) => e instanceof TwinError)).toBe(true);
    expect(errors.map((e) => e.name)).toEqual([
      'States.Timeout',
      'States.HeartbeatTimeout',
      'VerificationFailed',
      'Sandbox.Timedout',
      'Runtime.ExitError',
      'ThrottlingException',
      'InvalidAMIID.NotFound',
      'NoSuchKey',
      'AccessDeniedException',
    ]);
    expect(errors[2]?.message).toBe('{"outcome":"FAILED"}');
  });

  it('carry the SDK’s $fault and $metadata where the SDK raises them (5xx is the server’s fault)', () => {
    const fields = (e: AwsServiceError) => ({ $fault: e.$fault, $metadata: e.$metadata });

    expect(fields(new AwsServiceError('InsufficientInstanceCapacity', 'no capacity', 500))).toEqual({
      $fault: 'server',
      $metadata: { httpStatusCode: 500 },
    });
    expect(fields(new S3ServiceError('NoSuchBucket', 'The specified bucket does not exist'))).toEqual({
      $fault: 'client',
      $metadata: { httpStatusCode: 404 },
    });
    expect(fields(new S3ServiceError('InvalidObjectKey', 'no object under that key', 400))).toEqual({
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    expect(fields(new Ec2ServiceError('InvalidSnapshot.InUse', 'in use'))).toEqual({
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    expect(fields(new AccessDeniedError('role', 'sns:Publish', 'arn:aws:sns:::t', 'no statement'))).toEqual({
      $fault: 'client',
      $metadata: { httpStatusCode: 403 },
    });
  });

  it('report a function error as Step Functions’ Lambda integration does, keeping the error itself', () => {
    const functionError = new RangeError('version out of range');

    const failure = new LambdaFunctionError(functionError);

    expect(failure.name).toBe('RangeError');
    expect(JSON.parse(failure.message)).toMatchObject({
      errorType: 'RangeError',
      errorMessage: 'version out of range',
      trace: expect.any(Array),
    });
    expect(failure.functionError).toBe(functionError);
    // aws-local-stepfunctions logs `error.cause ?? error.message` as the state's Cause: the JSON.
    expect(failure.cause).toBeUndefined();
  });
});

describe('the twin’s SDK path', () => {
  it('answers a client’s send only while installed, and refuses a call outside any twin Lambda', async () => {
    const original = DynamoDBClient.prototype.send;
    const sdk = new TwinSdk();
    const client = new DynamoDBClient({ region: 'eu-west-1' });

    sdk.install();
    const patched = DynamoDBClient.prototype.send;
    const outside = client.send(new GetItemCommand({ TableName: 't', Key: {} }));
    sdk.uninstall();

    expect(patched).not.toBe(original);
    await expect(outside).rejects.toBeInstanceOf(CallOutsideInvocationError);
    await expect(outside).rejects.toThrow('dynamodb:GetItem called outside any twin Lambda');
    expect(DynamoDBClient.prototype.send).toBe(original);
  });
});
