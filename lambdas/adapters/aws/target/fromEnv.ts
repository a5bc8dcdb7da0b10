import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { DeployTarget } from '../../../core/target/port.ts';
import { AwsEnvironmentError } from '../errors.ts';
import { readLambdaTargetConfig } from '../lambdaTarget/config.ts';
import { LambdaDeployTarget } from '../lambdaTarget/LambdaDeployTarget.ts';
import { readEc2TargetConfig } from './config.ts';
import { Ec2DeployTarget } from './Ec2DeployTarget.ts';
import { DEPLOY_TARGET_ENV, DEPLOY_TARGET_KINDS, type DeployTargetKind } from './kind.ts';

/**
 * The EC2 deploy target as a target Lambda builds it at module scope: bare SDK clients (region and
 * credentials from the Lambda environment) and the config from `EC2_TARGET_ENV` variables, so a
 * misconfigured function fails at cold start.
 *
 *   const target = ec2DeployTargetFromEnv(); // module scope, once per container
 */
export function ec2DeployTargetFromEnv(env: NodeJS.ProcessEnv = process.env): Ec2DeployTarget {
  return new Ec2DeployTarget({
    ec2: new EC2Client({}),
    elb: new ElasticLoadBalancingV2Client({}),
    config: readEc2TargetConfig(env),
  });
}

/** The kind a task function's `VOUCH_DEPLOY_TARGET` names; unset or unknown is refused, never guessed. */
export function deployTargetKindFromEnv(env: NodeJS.ProcessEnv = process.env): DeployTargetKind {
  const kind = env[DEPLOY_TARGET_ENV];
  if (kind === undefined || kind === '')
    throw new AwsEnvironmentError(`Environment variable ${DEPLOY_TARGET_ENV} is required`);
  if (!(DEPLOY_TARGET_KINDS as readonly string[]).includes(kind)) {
    throw new AwsEnvironmentError(
      `${DEPLOY_TARGET_ENV} is "${kind}"; expected one of ${DEPLOY_TARGET_KINDS.join(', ')}`,
    );
  }
  return kind as DeployTargetKind;
}

/**
 * The deploy target of a task function, as its environment names it: the same handler file runs as
 * the EC2 target's task function (`ec2`, the EC2 variables) and as the Lambda target's (`lambda`,
 * `VOUCH_LAMBDA_FUNCTIONS`); the platform stack creates both from the same contract.
 */
export function deployTargetFromEnv(env: NodeJS.ProcessEnv = process.env): DeployTarget {
  return deployTargetKindFromEnv(env) === 'lambda'
    ? new LambdaDeployTarget({ lambda: new LambdaClient({}), config: readLambdaTargetConfig(env) })
    : ec2DeployTargetFromEnv(env);
}
