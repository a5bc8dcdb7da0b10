/** Resumes waiting verify tasks on AWS: SendTaskSuccess / SendTaskFailure. */
import {
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import type { TaskTokenPort, TokenDelivery } from '../../../core/evidence/window.ts';
import type { JsonValue } from '../../../core/pipeline/contract.ts';

/** SendTaskFailure limits: error 256 characters, cause 32768. */
const MAX_ERROR = 256;
const MAX_CAUSE = 32_768;

export function sfnTaskTokens(client: SFNClient): TaskTokenPort {
  return {
    async succeed(token: string, output: JsonValue): Promise<TokenDelivery> {
      return send(() =>
        client.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) })),
      );
    },
    async fail(token: string, error: string, cause: string): Promise<TokenDelivery> {
      return send(() =>
        client.send(
          new SendTaskFailureCommand({
            taskToken: token,
            error: error.slice(0, MAX_ERROR),
            cause: cause.slice(0, MAX_CAUSE),
          }),
        ),
      );
    },
  };
}

async function send(call: () => Promise<unknown>): Promise<TokenDelivery> {
  try {
    await call();
    return 'delivered';
  } catch (error) {
    // The token was already used, or its task timed out and the Catch -> decide path took over:
    // the other resumer won, which is not an error (SendTaskSuccess errors: InvalidToken, TaskTimedOut, TaskDoesNotExist).
    if (error instanceof InvalidToken || error instanceof TaskTimedOut || error instanceof TaskDoesNotExist) {
      return 'alreadyUsed';
    }
    throw error;
  }
}
