import { randomUUID } from 'node:crypto';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { RunInput } from '../../../core/pipeline/contract.ts';
import { ExecutionStartError } from '../../../core/webhook/errors.ts';
import type { ExecutionStarter, StartedExecution } from '../../../core/webhook/types.ts';

export interface SfnStarterOptions {
  readonly client: SFNClient;
  /** Id of one StartExecution call (RunInput.startRequest). @default crypto.randomUUID */
  readonly newStartRequest?: () => string;
  /** The state machine that runs `pipe` (one per flavour), or undefined for an unknown pipe. */
  readonly stateMachineFor: (pipe: string) => string | undefined;
}

/** arn:aws:states:R:A:stateMachine:M -> arn:aws:states:R:A:execution:M:NAME (the documented ARN shape). */
export function executionArnFor(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/**
 * Starts runs on Step Functions (Standard workflows), idempotent on the execution name, and says
 * truthfully whether this call started the run:
 * 1. DescribeExecution of the name's ARN: if it exists (any status, within Standard's 90-day name
 *    retention), that run is the answer and nothing is started.
 * 2. Otherwise StartExecution, with a `startRequest` id unique to this call in the input. Standard
 *    StartExecution with a running execution's name and the *same* input succeeds again ("idempotent"),
 *    so racing callers with equal inputs would all be told they started it; with a different input it
 *    throws ExecutionAlreadyExists. The unique id makes every caller but the one that created the
 *    execution get ExecutionAlreadyExists, answered like a redelivery (alreadyExisted: true).
 *    (Express workflows do not enforce names, so this starter must not be used with them.)
 */
export function createSfnStarter(options: SfnStarterOptions): ExecutionStarter {
  const { client } = options;
  const newStartRequest = options.newStartRequest ?? randomUUID;
  return {
    async start(executionName: string, input: RunInput): Promise<StartedExecution> {
      const stateMachineArn = options.stateMachineFor(input.pipe);
      if (stateMachineArn === undefined) {
        throw new ExecutionStartError(`no state machine is deployed for pipe ${input.pipe}`);
      }
      const executionArn = executionArnFor(stateMachineArn, executionName);
      try {
        const existing = await client.send(new DescribeExecutionCommand({ executionArn }));
        return { executionArn: existing.executionArn ?? executionArn, alreadyExisted: true };
      } catch (error) {
        if (!(error instanceof ExecutionDoesNotExist)) {
          throw new ExecutionStartError(`could not look up execution ${executionName}`, { cause: error });
        }
      }
      try {
        const started = await client.send(
          new StartExecutionCommand({
            stateMachineArn,
            name: executionName,
            input: JSON.stringify({ ...input, startRequest: newStartRequest() }),
          }),
        );
        return { executionArn: started.executionArn ?? executionArn, alreadyExisted: false };
      } catch (error) {
        if (error instanceof ExecutionAlreadyExists) return { executionArn, alreadyExisted: true };
        throw new ExecutionStartError(`could not start execution ${executionName}`, { cause: error });
      }
    },
  };
}
