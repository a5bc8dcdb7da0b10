import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { BUILD_TABLE_SCHEMA, type BuildTableSchema } from '../../lambdas/adapters/dynamo/tableSchema.ts';

export interface BuildTableProps {
  /** Key schema, indexes and TTL attribute. @default BUILD_TABLE_SCHEMA (lambdas/adapters/dynamo/tableSchema.ts) */
  readonly schema?: BuildTableSchema;
  /** The history of every release is what the platform is for: keep it when the stack goes. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The build data repository: one on-demand DynamoDB table with the same schema the local platform
 * creates in dynalite, point-in-time recovery, encryption at rest (AWS managed key) and TTL.
 */
export class BuildTable extends Construct {
  readonly table: dynamodb.Table;
  readonly schema: BuildTableSchema;

  constructor(scope: Construct, id: string, props: BuildTableProps = {}) {
    super(scope, id);
    this.schema = props.schema ?? BUILD_TABLE_SCHEMA;
    const attribute = (a: { name: string }) => ({ name: a.name, type: dynamodb.AttributeType.STRING });
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: attribute(this.schema.partitionKey),
      sortKey: attribute(this.schema.sortKey),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: this.schema.timeToLiveAttribute,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    for (const index of this.schema.globalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: attribute(index.partitionKey),
        sortKey: attribute(index.sortKey),
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
  }
}
