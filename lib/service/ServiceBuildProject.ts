import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CfnResource, Stack, Validations } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../platform/bundling.ts';
import { buildProjectName } from '../platform/runtimeEnvironment.ts';

/**
 * The buildspec every service project runs: the one the CodeBuild starter is written against
 * (it passes VOUCH_TASK, VOUCH_COMMIT, VOUCH_TASK_TOKEN; the buildspec answers the waiting task).
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
  /** ARNs of the pipeline state machines whose task tokens the build answers. */
  readonly stateMachineArns: readonly string[];
  /** @default codebuild.LinuxArmBuildImage.AMAZON_LINUX_2023_STANDARD_3_0 */
  readonly buildImage?: codebuild.IBuildImage;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default the contents of VOUCH_BUILDSPEC_FILE */
  readonly buildSpec?: codebuild.BuildSpec;
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
      buildSpec:
        props.buildSpec ?? codebuild.BuildSpec.fromObject(parse(readFileSync(VOUCH_BUILDSPEC_FILE, 'utf8'))),
    });
    this.project.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
        resources: [...props.stateMachineArns],
      }),
    );
    // The two wildcards CodeBuild's own default policy adds for every project.
    const stack = Stack.of(this);
    const project = stack.getLogicalId(this.project.node.defaultChild as CfnResource);
    Validations.of(this.project).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/codebuild/<${project}>:*]`,
        reason:
          "CodeBuild's default policy for the project's /aws/codebuild/<project> log group: one log stream per build, named at run time.",
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:codebuild:<AWS::Region>:<AWS::AccountId>:report-group/<${project}>-*]`,
        reason:
          "CodeBuild's default policy for the project's own test report groups (<project>-<name>), created by builds at run time.",
      },
    );
    Validations.of(this.project).acknowledge({
      id: 'AwsSolutions-CB4',
      reason:
        'The project has no artifacts (NO_ARTIFACTS) and no cache: nothing it writes to S3 needs a customer-managed key; build logs go to a CloudWatch log group.',
    });
  }
}
