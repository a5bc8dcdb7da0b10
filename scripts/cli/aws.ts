// `--aws [--stack Vouch] [--outputs cdk-outputs.json]` for the control commands: the deployed
// platform's control endpoint, called with the user's AWS credentials (lambdas/adapters/dashboard/aws.ts).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsControl, resolveAwsStack } from '../../lambdas/adapters/dashboard/aws.ts';
import {
  AwsStackNotFoundError,
  ControlRefusedError,
  ControlUnavailableError,
} from '../../lambdas/adapters/dashboard/errors.ts';
import type { ControlPath } from '../../lambdas/adapters/dashboard/source.ts';
import type { AwsFlags } from './awsFlags.ts';
import type { CliContext } from './types.ts';

/** Runs one control action on AWS; prints the outcome. 0 done, 1 refused or unreachable, 2 no stack. */
export async function controlOnAws(
  ctx: CliContext,
  flags: AwsFlags,
  action: (control: ControlPath) => Promise<unknown>,
): Promise<number> {
  let control: ControlPath;
  try {
    const stack = resolveAwsStack({ cwd: ctx.cwd, env: ctx.env, stack: flags.stack, outputs: flags.outputs });
    const client = new DynamoDBClient({ region: stack.region });
    control = awsControl({
      controlUrl: stack.controlUrl,
      region: stack.region,
      credentials: () => client.config.credentials(),
    });
  } catch (error) {
    if (error instanceof AwsStackNotFoundError) {
      ctx.err(error.message);
      return 2;
    }
    throw error;
  }
  try {
    ctx.out(JSON.stringify(await action(control), null, 2));
    return 0;
  } catch (error) {
    if (error instanceof ControlRefusedError || error instanceof ControlUnavailableError) {
      ctx.err(error.message);
      return 1;
    }
    throw error;
  }
}

/** The deployed build table, read with the user's AWS credentials; undefined (after saying why) without a stack. */
export function awsBuildTable(
  ctx: CliContext,
  flags: AwsFlags,
): { client: DynamoDBClient; tableName: string } | undefined {
  try {
    const stack = resolveAwsStack({ cwd: ctx.cwd, env: ctx.env, stack: flags.stack, outputs: flags.outputs });
    return { client: new DynamoDBClient({ region: stack.region }), tableName: stack.tableName };
  } catch (error) {
    if (error instanceof AwsStackNotFoundError) {
      ctx.err(error.message);
      return undefined;
    }
    throw error;
  }
}
