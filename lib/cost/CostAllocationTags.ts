import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  AwsCustomResource,
  AwsCustomResourcePolicy,
  type AwsSdkCall,
  PhysicalResourceId,
} from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { COST_ALLOCATION_TAG_KEYS } from '../../lambdas/core/cost/activation.ts';

export interface CostAllocationTagsProps {
  /** User-defined tag keys to activate. @default COST_ALLOCATION_TAG_KEYS (`service`, `team`, `solution`, `environment`) */
  readonly tagKeys?: readonly string[];
}

/**
 * Activates the cost allocation tags at deploy time: Cost Explorer UpdateCostAllocationTagsStatus,
 * called by an AwsCustomResource on create and update.
 *
 * AWS caveats, and why the collector also activates them daily:
 * - A key can only be activated after AWS Billing has seen it on a resource, up to 24 h after the
 *   first tagged resource exists. On a first deploy the call therefore usually reports the keys as
 *   errors in its response body (it does not fail, so the deploy goes on); the collector's daily run
 *   activates them once they are seen (CostCollector `activateCostAllocationTags`).
 * - Only the management (payer) account of an organisation, or a standalone account, may activate
 *   tags. In a member account, activate them once from the management account instead:
 *   `aws ce update-cost-allocation-tags-status --cost-allocation-tags-status TagKey=service,Status=Active ...`
 * - Activation is not retroactive by default: cost before it is not split by the tag.
 * Removing the stack leaves the tags active: other stacks' costs are split by the same keys.
 */
export class CostAllocationTags extends Construct {
  readonly tagKeys: readonly string[];
  readonly resource: AwsCustomResource;

  constructor(scope: Construct, id: string, props: CostAllocationTagsProps = {}) {
    super(scope, id);
    this.tagKeys = props.tagKeys ?? COST_ALLOCATION_TAG_KEYS;
    const activate: AwsSdkCall = {
      service: 'CostExplorer',
      action: 'UpdateCostAllocationTagsStatus',
      parameters: { CostAllocationTagsStatus: this.tagKeys.map((TagKey) => ({ TagKey, Status: 'Active' })) },
      // Cost Explorer is served from us-east-1 for the whole aws partition.
      region: 'us-east-1',
      physicalResourceId: PhysicalResourceId.of(`vouch-cost-allocation-tags:${this.tagKeys.join(',')}`),
    };
    this.resource = new AwsCustomResource(this, 'Activate', {
      onCreate: activate,
      onUpdate: activate,
      // Cost Explorer defines no resource types for this action: `*` is the only resource it accepts.
      policy: AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['ce:UpdateCostAllocationTagsStatus'], resources: ['*'] }),
      ]),
      // The Lambda runtime's SDK has Cost Explorer; installing the latest at deploy time needs internet.
      installLatestAwsSdk: false,
    });
    Validations.of(this.resource).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ce:UpdateCostAllocationTagsStatus supports no resource-level permissions; it is the only action granted.',
    });
    // The provider Lambda is a singleton that CDK creates once per stack for every AwsCustomResource.
    const provider = this.resource.grantPrincipal;
    if (provider instanceof Construct) {
      Validations.of(provider).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "CDK's AwsCustomResource provider (a per-stack singleton) attaches AWSLambdaBasicExecutionRole for its own logs; it runs only at deploy time.",
      });
    }
  }
}
