// One reader for every target task function: VOUCH_DEPLOY_TARGET picks the target, and each target's
// variables are checked at cold start; nothing is guessed.
import { describe, expect, it } from 'vitest';
import { deployTargetFromEnv } from '../../../lambdas/adapters/aws/deployTarget/fromEnv.ts';
import { LambdaTargetConfigError } from '../../../lambdas/adapters/aws/lambdaTarget/errors.ts';
import { LambdaDeployTarget } from '../../../lambdas/adapters/aws/lambdaTarget/LambdaDeployTarget.ts';
import { Ec2DeployTarget } from '../../../lambdas/adapters/aws/target/Ec2DeployTarget.ts';

const EC2 = {
  VOUCH_VPC_ID: 'vpc-0123',
  VOUCH_ALB_ARN: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/1',
  VOUCH_ALB_LISTENER_ARN: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/x/1/2',
  VOUCH_TEST_DOMAIN: 'test.example.com',
  VOUCH_ALB_DNS_NAME: 'x.elb.amazonaws.com',
  VOUCH_LAUNCH_TEMPLATE_ID: 'lt-0123',
  VOUCH_BASE_AMI: 'ami-0123',
};
const FUNCTIONS = JSON.stringify({
  services: { 'orders-fn': { functionName: 'orders-fn', team: 'checkout', solution: 'webshop' } },
});

describe('deployTargetFromEnv', () => {
  it('builds the target the variable names', () => {
    expect(deployTargetFromEnv({ VOUCH_DEPLOY_TARGET: 'ec2', ...EC2 })).toBeInstanceOf(Ec2DeployTarget);
    expect(
      deployTargetFromEnv({ VOUCH_DEPLOY_TARGET: 'lambda', VOUCH_LAMBDA_FUNCTIONS: FUNCTIONS }),
    ).toBeInstanceOf(LambdaDeployTarget);
  });

  it('refuses an unset or unknown target, and a Lambda target without its functions', () => {
    expect(() => deployTargetFromEnv({ ...EC2 })).toThrow(
      'Environment variable VOUCH_DEPLOY_TARGET is required',
    );
    expect(() => deployTargetFromEnv({ VOUCH_DEPLOY_TARGET: 'ecs', ...EC2 })).toThrow(
      'VOUCH_DEPLOY_TARGET is "ecs"; expected one of ec2, lambda',
    );
    expect(() => deployTargetFromEnv({ VOUCH_DEPLOY_TARGET: 'lambda', ...EC2 })).toThrow(
      'Environment variable VOUCH_LAMBDA_FUNCTIONS is required',
    );
    expect(() =>
      deployTargetFromEnv({
        VOUCH_DEPLOY_TARGET: 'lambda',
        VOUCH_LAMBDA_FUNCTIONS: JSON.stringify({ services: { orders: { functionName: 'orders-fn' } } }),
      }),
    ).toThrow(LambdaTargetConfigError);
  });
});
