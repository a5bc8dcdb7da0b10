import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { readEc2TargetConfig } from './config.ts';
import { Ec2DeployTarget } from './Ec2DeployTarget.ts';

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
