import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { artifactBucketName } from './runtimeEnvironment.ts';

export interface ArtifactBucketProps {
  /** @default artifactBucketName(account, region): the name the service stacks' build projects write to */
  readonly bucketName?: string;
  /** Artifacts are rebuilt from Git on demand: old ones only cost money. @default Duration.days(30) */
  readonly expiration?: Duration;
  /** @default RemovalPolicy.RETAIN (CloudFormation cannot delete a non-empty bucket) */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Roles that bake images and so fetch artifacts (`aws s3 cp` in the builder's user data): the EC2
   * target's instance role. Granted s3:GetObject by the bucket policy. @default none
   */
  readonly readerRoleArns?: readonly string[];
}

/**
 * Service artifacts between build and bake: `<service>/<commit>.tar.gz`, uploaded by the buildspec of
 * the service's CodeBuild project, fetched by the builder instance. Private, TLS-only, SSE-S3, and
 * expired after a month; not versioned, as an artifact of a commit is rebuilt rather than restored.
 */
export class ArtifactBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: ArtifactBucketProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: props.bucketName ?? artifactBucketName(stack.account, stack.region),
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: false,
      lifecycleRules: [
        {
          id: 'expire-artifacts',
          expiration: props.expiration ?? Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    for (const [index, roleArn] of (props.readerRoleArns ?? []).entries()) {
      // A bucket-policy grant, not a policy on the role: the instance role is the operator's, not this stack's.
      this.bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `BuilderFetchesArtifacts${index}`,
          principals: [new iam.ArnPrincipal(roleArn)],
          actions: ['s3:GetObject'],
          resources: [this.bucket.arnForObjects('*')],
        }),
      );
    }
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Build outputs reproducible from Git, written only by the per-service CodeBuild roles (each limited to its <service>/ prefix) and read only by the builder instance role; access logs would need a second bucket that itself has none. Object-level audit, where required, is CloudTrail S3 data events.',
    });
  }
}
