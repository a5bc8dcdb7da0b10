/**
 * The deploy target of a target task function, and the judge's series for it, as the function's
 * environment names them (`VOUCH_DEPLOY_TARGET`): the same handler file runs as the EC2 target's task
 * function (`ec2`, the EC2 variables) and as the Lambda target's (`lambda`, `VOUCH_LAMBDA_FUNCTIONS`);
 * the platform stack creates both from the same contract (functionEnvironment.ts).
 *
 *   const target = deployTargetFromEnv(env); // module scope, once per container
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { DeployTarget } from '../../../core/target/port.ts';
import { AwsEnvironmentError } from '../errors.ts';
import { LAMBDA_TARGET_ENV, readLambdaTargetConfig } from '../lambdaTarget/config.ts';
import { LambdaDeployTarget } from '../lambdaTarget/LambdaDeployTarget.ts';
import { lambdaCanarySamples } from '../lambdaTarget/lambdaCanarySamples.ts';
import {
  type AsyncCanarySamples,
  cloudWatchCanarySamples,
  elbTargetGroups,
} from '../pipeline/cloudWatchCanarySamples.ts';
import { EC2_TARGET_ENV } from '../target/config.ts';
import { ec2DeployTargetFromEnv } from '../target/fromEnv.ts';
import { DEPLOY_TARGET_ENV, DEPLOY_TARGET_KINDS, type DeployTargetKind } from '../target/kind.ts';

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

/** The deploy target the function's environment names, built once at module scope. */
export function deployTargetFromEnv(env: NodeJS.ProcessEnv = process.env): DeployTarget {
  return deployTargetKindFromEnv(env) === 'lambda'
    ? new LambdaDeployTarget({ lambda: new LambdaClient({}), config: readLambdaTargetConfig(env) })
    : ec2DeployTargetFromEnv(env);
}

/**
 * The Lambda target of a platform function that serves both targets (reconciler, sweeper): built when
 * the platform has Lambda services (`VOUCH_LAMBDA_FUNCTIONS` set), undefined otherwise.
 */
export function lambdaDeployTargetFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  lambda: LambdaClient = new LambdaClient({}),
): LambdaDeployTarget | undefined {
  return env[LAMBDA_TARGET_ENV.functions]
    ? new LambdaDeployTarget({ lambda, config: readLambdaTargetConfig(env) })
    : undefined;
}

/**
 * The judge's samples: on the Lambda target the function's own series per executed version behind
 * the alias; on the EC2 target the environment's target groups on the shared ALB.
 */
export function canarySamplesFromEnv(env: NodeJS.ProcessEnv, target: DeployTarget): AsyncCanarySamples {
  if (deployTargetKindFromEnv(env) === 'lambda') {
    return lambdaCanarySamples(new CloudWatchClient({}), { describe: (ref) => target.describe(ref) });
  }
  const loadBalancerArn = env[EC2_TARGET_ENV.loadBalancerArn];
  if (!loadBalancerArn)
    throw new AwsEnvironmentError(`Environment variable ${EC2_TARGET_ENV.loadBalancerArn} is required`);
  return cloudWatchCanarySamples(new CloudWatchClient({}), {
    loadBalancerArn,
    targetGroups: elbTargetGroups(new ElasticLoadBalancingV2Client({}), { loadBalancerArn }),
  });
}
