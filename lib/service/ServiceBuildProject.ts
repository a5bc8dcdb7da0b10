import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Arn, type CfnResource, Stack, Validations } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { Construct } from 'constructs';
import { parse } from 'yaml';
import { TASK_TOKEN_KEY_PREFIX } from '../../lambdas/adapters/aws/codebuild/taskTokenItems.ts';
import { PROJECT_ROOT } from '../function/bundling.ts';
import { artifactBucketName, buildProjectName, RUNTIME_ENV } from '../platform/runtimeEnvironment.ts';

/**
 * The buildspec every service project runs: the one the CodeBuild starter is written against
 * (it passes VOUCH_TASK, VOUCH_COMMIT, VOUCH_TASK_TOKEN, VOUCH_COMMAND, VOUCH_ARTIFACT_URI; the buildspec
 * runs the command, uploads the build's artifact and answers the waiting task).
 */
export const VOUCH_BUILDSPEC_FILE = join(
  PROJECT_ROOT,
  'lambdas',
  'adapters',
  'aws',
  'codebuild',
  'buildspec.vouch.yml',
);

export interface ServiceBuildProjectProps {
  readonly service: string;
  /** `owner/name` on GitHub. */
  readonly repo: string;
  /** The build table, where the build reads its task token (its service's items only). @default none: the build cannot read a stored token */
  readonly buildTableArn?: string;
  /** @default codebuild.LinuxArmBuildImage.AMAZON_LINUX_2023_STANDARD_3_0 */
  readonly buildImage?: codebuild.IBuildImage;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Without a `reports` section: the project has no report-group grants. @default the contents of VOUCH_BUILDSPEC_FILE */
  readonly buildSpec?: codebuild.BuildSpec;
  /**
   * The platform's artifact bucket; the project may write only under `<service>/` in it.
   * @default artifactBucketName(account, region), the name the platform stack gives it
   */
  readonly artifactBucketName?: string;
}

/**
 * The CodeBuild project `vouch-<service>` behind the build and test tasks: the GitHub repo as source
 * (StartBuild picks the commit with `sourceVersion`), Vouch's buildspec, and the right to answer the
 * waiting state machine, so no Lambda waits on a build.
 */
export class ServiceBuildProject extends Construct {
  readonly project: codebuild.Project;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ServiceBuildProjectProps) {
    super(scope, id);
    const [owner = '', repo = ''] = props.repo.split('/');
    const stack = Stack.of(this);
    const bucketName = props.artifactBucketName ?? artifactBucketName(stack.account, stack.region);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    this.project = new codebuild.Project(this, 'Project', {
      projectName: buildProjectName(props.service),
      description: `Vouch: builds and tests ${props.service} (${props.repo})`,
      // No webhook: pipelines start builds, not pushes (the Vouch webhook owns pushes).
      source: codebuild.Source.gitHub({ owner, repo, webhook: false }),
      environment: {
        buildImage: props.buildImage ?? codebuild.LinuxArmBuildImage.AMAZON_LINUX_2023_STANDARD_3_0,
        computeType: codebuild.ComputeType.SMALL,
        privileged: false,
      },
      logging: { cloudWatch: { logGroup: this.logGroup } },
      environmentVariables: { [RUNTIME_ENV.artifactBucket]: { value: bucketName } },
      buildSpec:
        props.buildSpec ?? codebuild.BuildSpec.fromObject(parse(readFileSync(VOUCH_BUILDSPEC_FILE, 'utf8'))),
      // Vouch's buildspec has no `reports` section: the project never creates or writes a test report.
      grantReportGroupPermissions: false,
    });
    this.project.addToRolePolicy(
      new iam.PolicyStatement({
        // Heartbeats keep the build's Task state alive while it runs (buildspec install phase).
        actions: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
        // SendTask* have no resource type (IAM service authorization reference): IAM checks them
        // against `*`, so a grant on the state machines never matches. The token is the capability.
        resources: ['*'],
      }),
    );
    // The task token the build hands back waits in the build table (taskTokenItems.ts): this
    // service's token items only.
    if (props.buildTableArn !== undefined) {
      this.project.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['dynamodb:GetItem'],
          resources: [props.buildTableArn],
          conditions: {
            'ForAllValues:StringLike': {
              'dynamodb:LeadingKeys': [`${TASK_TOKEN_KEY_PREFIX}${props.service}#*`],
            },
          },
        }),
      );
    }
    // The build task's upload (`aws s3 cp` to VOUCH_ARTIFACT_URI): this service's prefix only.
    const artifacts = Arn.format(
      { service: 's3', region: '', account: '', resource: bucketName, resourceName: `${props.service}/*` },
      stack,
    );
    this.project.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [artifacts] }),
    );
    Validations.of(this.project).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${flattenCfnReference(stack.resolve(artifacts))}]`,
      reason: `The build uploads <commit>.tar.gz under its own service's prefix (${props.service}/) of the artifact bucket; commits are known only at run time.`,
    });
    Validations.of(this.project).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'states:SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat define no resource type in the IAM service authorization reference, so IAM evaluates them against * only; the task token the build returns names the one task it may complete.',
    });
    // The wildcard CodeBuild's own default policy adds for every project.
    const project = stack.getLogicalId(this.project.node.defaultChild as CfnResource);
    Validations.of(this.project).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/codebuild/<${project}>:*]`,
      reason:
        "CodeBuild's default policy for the project's /aws/codebuild/<project> log group: one log stream per build, named at run time.",
    });
    Validations.of(this.project).acknowledge({
      id: 'AwsSolutions-CB4',
      reason:
        'The project has no CodeBuild artifacts (NO_ARTIFACTS) and no cache; the buildspec uploads its artifact itself to the artifact bucket, encrypted there with SSE-S3, and build logs go to a CloudWatch log group: no customer-managed key is needed.',
    });
  }
}
