import { Duration, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { CostMetric } from '../../lambdas/adapters/aws/cost/costExplorerReader.ts';
import { COST_ALLOCATION_TAG_KEYS } from '../../lambdas/core/cost/activation.ts';
import { DEFAULT_LOOKBACK_DAYS, MAX_LOOKBACK_DAYS } from '../../lambdas/core/cost/collector.ts';
import { COST_COLLECTOR_ENV } from '../../lambdas/core/cost/collectorEnvironment.ts';
import { COST_METRIC_NAMESPACE } from '../../lambdas/core/cost/costItem.ts';
import { InvalidCostInputError } from '../../lambdas/core/cost/errors.ts';
import { handlerEntry } from '../function/bundling.ts';
import { VouchFunction } from '../function/VouchFunction.ts';

export interface CostCollectorProps {
  /** The build data table; cost items go under its `COST#` partition keys only. */
  readonly table: dynamodb.ITable;
  /**
   * When the collector runs. Cost Explorer refreshes at least once a day, so yesterday is mostly in
   * by morning UTC; the re-read days catch what arrives later.
   * @default events.Schedule.cron({ minute: '0', hour: '6' }) (daily, 06:00 UTC)
   */
  readonly schedule?: events.Schedule;
  /** Completed days each run re-reads, 1 to 14. @default 3 */
  readonly lookbackDays?: number;
  /** Cost Explorer metric (see lambdas/adapters/aws/cost/costExplorerReader.ts for the trade-off). @default 'UnblendedCost' */
  readonly costMetric?: CostMetric;
  /**
   * Let each run activate the `service`, `team`, `solution`, `environment` cost allocation tags that
   * AWS Billing has seen but are still inactive. Needs the management (payer) or a standalone account.
   * @default true
   */
  readonly activateCostAllocationTags?: boolean;
  /** Bundle the handler with esbuild; `false` deploys a stub, for infra tests. @default true */
  readonly bundle?: boolean;
}

/**
 * The daily cost collector: a Lambda (lambdas/handlers/costCollector.ts) on an EventBridge schedule,
 * allowed exactly what it calls: Cost Explorer reads, PutMetricData to `Vouch/Cost`, PutItem on the
 * build table's `COST#` keys.
 */
export class CostCollector extends Construct {
  readonly handler: VouchFunction;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: CostCollectorProps) {
    super(scope, id);
    const lookbackDays = props.lookbackDays ?? DEFAULT_LOOKBACK_DAYS;
    if (!Number.isInteger(lookbackDays) || lookbackDays < 1 || lookbackDays > MAX_LOOKBACK_DAYS) {
      throw new InvalidCostInputError(
        `CostCollector lookbackDays must be an integer from 1 to ${MAX_LOOKBACK_DAYS}, got ${lookbackDays}`,
      );
    }
    const activateTags = props.activateCostAllocationTags ?? true;

    this.handler = new VouchFunction(this, 'Handler', {
      entry: handlerEntry('costCollector'),
      serviceName: 'vouch-cost-collector',
      description: 'Vouch: daily cost per team, service, environment and solution from Cost Explorer',
      // Cost Explorer pages and throttling backoff (up to ~15 s a page) need more than the 30 s default.
      timeout: Duration.minutes(5),
      bundle: props.bundle,
      environment: {
        [COST_COLLECTOR_ENV.buildTable]: props.table.tableName,
        [COST_COLLECTOR_ENV.lookbackDays]: String(lookbackDays),
        [COST_COLLECTOR_ENV.costMetric]: props.costMetric ?? 'UnblendedCost',
        [COST_COLLECTOR_ENV.activateTags]: String(activateTags),
      },
    });
    const role = this.handler.role;

    // Cost Explorer defines no resource types for these actions (Service Authorization Reference,
    // "Actions defined by AWS Cost Explorer Service"): `*` is the only resource they accept.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadCostExplorer',
        actions: ['ce:GetCostAndUsage', ...(activateTags ? ['ce:ListCostAllocationTags'] : [])],
        resources: ['*'],
      }),
    );
    if (activateTags) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ActivateCostAllocationTags',
          actions: ['ce:UpdateCostAllocationTagsStatus'],
          resources: ['*'],
        }),
      );
    }
    // PutMetricData has no resource type either; the namespace condition key narrows it to Vouch/Cost.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PublishCostMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': COST_METRIC_NAMESPACE } },
      }),
    );
    // Only items whose partition key starts with COST#: the collector cannot touch builds or locks.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'RecordCostItems',
        actions: ['dynamodb:PutItem'],
        resources: [props.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['COST#*'] } },
      }),
    );
    props.table.encryptionKey?.grantEncryptDecrypt(role);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Cost Explorer (ce:GetCostAndUsage, ListCostAllocationTags, UpdateCostAllocationTagsStatus), cloudwatch:PutMetricData and X-Ray tracing support no resource-level permissions; PutMetricData is narrowed to the Vouch/Cost namespace by condition, DynamoDB is granted on the table ARN only.',
    });

    this.rule = new events.Rule(this, 'Daily', {
      description: `Vouch: collect cost by ${COST_ALLOCATION_TAG_KEYS.join(', ')} tags`,
      schedule: props.schedule ?? events.Schedule.cron({ minute: '0', hour: '6' }),
      targets: [new targets.LambdaFunction(this.handler.function, { retryAttempts: 2 })],
    });
  }
}
