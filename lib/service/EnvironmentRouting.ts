import { Tags } from 'aws-cdk-lib';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { TAG } from '../../lambdas/adapters/aws/target/tags.ts';
import { environmentId } from '../../lambdas/core/target/naming.ts';

export interface EnvironmentRoutingProps {
  readonly service: string;
  /** A lasting environment (qa, prod); its `baseUrl` host is the listener rule's host header. */
  readonly environment: { readonly name: string; readonly baseUrl: string };
  /** The deploy target's VPC and shared ALB listener (platform.ec2Target). */
  readonly vpcId: string;
  readonly listenerArn: string;
  /** @default 8080 */
  readonly servicePort?: number;
  /** The rule's priority on the shared listener: unique per listener, below the ephemeral rules' floor. */
  readonly priority: number;
}

/**
 * What a deploy looks up for a lasting environment (Ec2DeployTarget.resolve): a baseline and a canary
 * target group tagged `vouch:environment-id=<service>.<environment>` and `vouch:slot`, attached to the
 * shared ALB by a host-header rule on its listener that forwards 100/0 (deploy and shift change the
 * weights; promote swaps the slot tags). Instances are registered by the pipeline, not here.
 */
export class EnvironmentRouting extends Construct {
  readonly baseline: elbv2.CfnTargetGroup;
  readonly canary: elbv2.CfnTargetGroup;
  readonly rule: elbv2.CfnListenerRule;

  constructor(scope: Construct, id: string, props: EnvironmentRoutingProps) {
    super(scope, id);
    const envId = environmentId(props.service, props.environment.name);
    const group = (slot: 'baseline' | 'canary') => {
      const tg = new elbv2.CfnTargetGroup(this, slot === 'baseline' ? 'Baseline' : 'Canary', {
        protocol: 'HTTP',
        port: props.servicePort ?? 8080,
        vpcId: props.vpcId,
        targetType: 'instance',
        healthCheckProtocol: 'HTTP',
        // deploy sets the image's own health path before registering targets.
        healthCheckPath: '/health',
        matcher: { httpCode: '200-299' },
      });
      Tags.of(tg).add(TAG.environmentId, envId);
      Tags.of(tg).add(TAG.slot, slot);
      Tags.of(tg).add(TAG.environment, props.environment.name);
      return tg;
    };
    this.baseline = group('baseline');
    this.canary = group('canary');
    this.rule = new elbv2.CfnListenerRule(this, 'Rule', {
      listenerArn: props.listenerArn,
      priority: props.priority,
      conditions: [
        { field: 'host-header', hostHeaderConfig: { values: [new URL(props.environment.baseUrl).hostname] } },
      ],
      actions: [
        {
          type: 'forward',
          forwardConfig: {
            targetGroups: [
              { targetGroupArn: this.baseline.ref, weight: 100 },
              { targetGroupArn: this.canary.ref, weight: 0 },
            ],
          },
        },
      ],
    });
    Tags.of(this.rule).add(TAG.environmentId, envId);
    Tags.of(this.rule).add(TAG.environment, props.environment.name);
  }
}
