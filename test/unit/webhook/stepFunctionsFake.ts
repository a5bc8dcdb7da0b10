// Step Functions' StartExecution/DescribeExecution as documented for Standard workflows, on an
// aws-sdk-client-mock stub: "If StartExecution is called with the same name and input as a running
// execution, the call succeeds and return the same response as the original request. If the execution
// is closed or if the input is different, it returns a 400 ExecutionAlreadyExists error."
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  type ServiceInputTypes,
  type ServiceOutputTypes,
  type SFNClientResolvedConfig,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { AwsStub } from 'aws-sdk-client-mock';
import { executionArnFor } from '../../../lambdas/adapters/aws/webhook/sfnStarter.ts';

export interface FakeExecutions {
  /** Execution ARN -> the input it was created with. */
  readonly created: Map<string, string>;
  /** Every StartExecution call, created or not. */
  readonly startCalls: { name: string; input: string }[];
}

const meta = { $metadata: {} };
/** One macrotask: lets every request of a concurrent burst get this far before any goes on. */
const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

export function fakeStepFunctions(
  sfn: AwsStub<ServiceInputTypes, ServiceOutputTypes, SFNClientResolvedConfig>,
): FakeExecutions {
  const created = new Map<string, string>();
  const startCalls: FakeExecutions['startCalls'] = [];
  sfn.on(DescribeExecutionCommand).callsFake(async ({ executionArn }: { executionArn: string }) => {
    const exists = created.has(executionArn);
    await tick();
    if (!exists) throw new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', ...meta });
    return { executionArn, status: 'RUNNING' };
  });
  sfn
    .on(StartExecutionCommand)
    .callsFake(
      async ({ stateMachineArn, name, input }: { stateMachineArn: string; name: string; input: string }) => {
        startCalls.push({ name, input });
        await tick();
        const executionArn = executionArnFor(stateMachineArn, name);
        const existing = created.get(executionArn);
        if (existing === undefined) {
          created.set(executionArn, input);
          return { executionArn, startDate: new Date() };
        }
        if (existing === input) return { executionArn, startDate: new Date() };
        throw new ExecutionAlreadyExists({ message: `Execution Already Exists: '${executionArn}'`, ...meta });
      },
    );
  return { created, startCalls };
}
