// Each documented `@default` of the constructs' props is the one applied.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { BUILD_TABLE_SCHEMA } from '../../lambdas/adapters/dynamo/tableSchema.ts';
import { AlarmsSpecSchema, BotScenarioSchema } from '../../lambdas/core/evidence/spec.ts';
import {
  AlarmStateChangeRule,
  ArtifactBucket,
  BuildTable,
  handlerEntry,
  NotificationChannel,
  PipelineStateMachine,
  ReconcileSchedule,
  SweepSchedule,
  VouchFunction,
  WebhookEndpoint,
  WindowEndScheduling,
} from '../../lib/platform/index.ts';
import {
  BotSchedules,
  GoldenSignalAlarms,
  ServiceBuildProject,
  ServiceDashboard,
} from '../../lib/service/index.ts';

const newStack = () => new Stack(new App({ builtinCloudFormationValidation: false }), 'Test');
const stubFunction = (stack: Stack) =>
  new lambda.Function(stack, 'Stub', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => null;'),
  });

describe('construct defaults', () => {
  it('VouchFunction: 256 MB, 30 s, logs kept a month, no failure destination, bundled with esbuild', () => {
    // Prepare
    const stack = newStack();
    // Act: the one real bundle of the infra tests (the webhook handler, which exists).
    const fn = new VouchFunction(stack, 'Fn', {
      entry: handlerEntry('webhook'),
      serviceName: 'vouch-webhook',
    });
    const template = Template.fromStack(stack);
    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 256,
      Timeout: 30,
      Handler: 'index.handler',
      Code: { S3Bucket: Match.anyValue(), S3Key: Match.stringLikeRegexp('\\.zip$') },
      Environment: {
        Variables: {
          POWERTOOLS_SERVICE_NAME: 'vouch-webhook',
          POWERTOOLS_METRICS_NAMESPACE: 'Vouch',
          POWERTOOLS_LOG_LEVEL: 'INFO',
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 0);
    const assetDir = (stack.node.root as App).synth().directory;
    const bundles = readdirSync(assetDir).filter((d) => d.startsWith('asset.'));
    expect(bundles).toHaveLength(1);
    const bundle = join(assetDir, bundles[0] ?? '');
    expect(readdirSync(bundle).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    const code = readFileSync(join(bundle, 'index.mjs'), 'utf8');
    // Minified (few, long lines), ESM with the require shim, the SDK bundled in (no external import).
    expect(code.length / code.split('\n').length).toBeGreaterThan(500);
    expect(code).toContain('__vouchCreateRequire');
    expect(code).not.toMatch(/from\s*["']@aws-sdk\//);
    expect(JSON.parse(readFileSync(join(bundle, 'index.mjs.map'), 'utf8')).sourcesContent).toBeUndefined();
    expect(fn.function.runtime.name).toBe('nodejs22.x');
  });

  it('BuildTable: the shared schema, retained on stack deletion', () => {
    const stack = newStack();
    const table = new BuildTable(stack, 'Table');
    expect(table.schema).toBe(BUILD_TABLE_SCHEMA);
    Template.fromStack(stack).hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('ArtifactBucket: vouch-artifacts-<account>-<region>, expired after 30 days, retained, no reader', () => {
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Test', {
      env: { account: '123456789012', region: 'eu-west-1' },
    });
    new ArtifactBucket(stack, 'Artifacts');
    const template = Template.fromStack(stack);
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BucketName: 'vouch-artifacts-123456789012-eu-west-1',
        LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 30 })] },
      }),
    });
    // Only the TLS-only deny: no principal may read until a reader role is given.
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: [Match.objectLike({ Effect: 'Deny' })] },
    });
  });

  it('PipelineStateMachine: execution logs kept three months', () => {
    const stack = newStack();
    const fn = stubFunction(stack);
    new PipelineStateMachine(stack, 'Pipe', {
      flavour: 'tiny',
      definition: { StartAt: 'a', States: { a: { Type: 'Task', Resource: '${TaskFn_version}', End: true } } },
      taskFunctions: new Map([['version', fn]]),
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/vendedlogs/states/vouch-tiny',
      RetentionInDays: 90,
    });
  });

  it('PipelineStateMachine: refuses a definition naming a task type without a Lambda', () => {
    const stack = newStack();
    expect(
      () =>
        new PipelineStateMachine(stack, 'Pipe', {
          flavour: 'tiny',
          definition: {
            StartAt: 'a',
            States: { a: { Type: 'Task', Resource: '${TaskFn_judge}', End: true } },
          },
          taskFunctions: new Map(),
        }),
    ).toThrow('flavour tiny uses task type "judge", which has no Lambda');
  });

  it('WebhookEndpoint: 10 requests/s, burst 20, access logs kept a month', () => {
    const stack = newStack();
    new WebhookEndpoint(stack, 'Hook', { handler: stubFunction(stack) });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('AlarmStateChangeRule: three delivery attempts', () => {
    const stack = newStack();
    new AlarmStateChangeRule(stack, 'Rule', { handler: stubFunction(stack), alarmNamePrefix: 'vouch.' });
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 3 } })],
    });
  });

  it('WindowEndScheduling: schedule group vouch-windows', () => {
    const stack = newStack();
    const scheduling = new WindowEndScheduling(stack, 'Windows', { handler: stubFunction(stack) });
    expect(scheduling.scheduleGroupName).toBe('vouch-windows');
    Template.fromStack(stack).hasResourceProperties('AWS::Scheduler::ScheduleGroup', {
      Name: 'vouch-windows',
    });
  });

  it('ReconcileSchedule: every 5 minutes, in group vouch-reconciler, invoking only its handler', () => {
    const stack = newStack();
    new ReconcileSchedule(stack, 'Reconcile', { handler: stubFunction(stack) });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: 'vouch-reconciler' });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      GroupName: 'vouch-reconciler',
      ScheduleExpression: 'rate(5 minutes)',
      Target: Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0 } }),
    });
  });

  it('SweepSchedule: every hour, in group vouch-sweeper, invoking only its handler', () => {
    const stack = newStack();
    new SweepSchedule(stack, 'Sweep', { handler: stubFunction(stack) });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: 'vouch-sweeper' });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      GroupName: 'vouch-sweeper',
      ScheduleExpression: 'rate(1 hour)',
      Target: Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0 } }),
    });
  });

  it('NotificationChannel: dead letters kept 14 days', () => {
    const stack = newStack();
    new NotificationChannel(stack, 'Notify');
    Template.fromStack(stack).hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
  });

  it("BotSchedules: a scenario's default rate (one a minute) is a schedule every minute", () => {
    const stack = newStack();
    new BotSchedules(stack, 'Bots', {
      service: 'orders',
      environments: [{ name: 'prod', baseUrl: 'https://orders.example.com', ephemeral: false }],
      scenarios: [BotScenarioSchema.parse({ name: 'browse', steps: [{ path: '/' }] })],
      botFunction: stubFunction(stack),
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 minute)',
    });
  });

  it("ServiceBuildProject: ARM Amazon Linux 2023 image, logs kept a month, Vouch's buildspec", () => {
    const stack = newStack();
    new ServiceBuildProject(stack, 'Build', {
      service: 'orders',
      repo: 'org/orders',
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CodeBuild::Project', {
      Environment: Match.objectLike({
        Image: 'aws/codebuild/amazonlinux-aarch64-standard:3.0',
        Type: 'ARM_CONTAINER',
      }),
      Source: Match.objectLike({ BuildSpec: Match.stringLikeRegexp('send-task-success') }),
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it("ServiceBuildProject: writes to the artifact bucket the platform names for the stack's account and region", () => {
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Test', {
      env: { account: '123456789012', region: 'eu-west-1' },
    });
    new ServiceBuildProject(stack, 'Build', {
      service: 'orders',
      repo: 'org/orders',
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CodeBuild::Project', {
      Environment: Match.objectLike({
        EnvironmentVariables: [
          {
            Name: 'VOUCH_ARTIFACT_BUCKET',
            Type: 'PLAINTEXT',
            Value: 'vouch-artifacts-123456789012-eu-west-1',
          },
        ],
      }),
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 's3:PutObject',
            Resource: {
              'Fn::Join': [
                '',
                ['arn:', { Ref: 'AWS::Partition' }, ':s3:::vouch-artifacts-123456789012-eu-west-1/orders/*'],
              ],
            },
          }),
        ]),
      },
    });
  });

  it('ServiceDashboard: one-minute periods', () => {
    const stack = newStack();
    const alarms = new GoldenSignalAlarms(stack, 'Alarms', {
      service: 'orders',
      environment: 'prod',
      alarms: AlarmsSpecSchema.parse({}),
    });
    new ServiceDashboard(stack, 'Dash', {
      service: 'orders',
      alarmsByEnvironment: new Map([['prod', alarms]]),
    });
    const body = JSON.stringify(Template.fromStack(stack).toJSON());
    expect(body).toContain('\\"period\\":60');
    expect(body).not.toMatch(/\\"period\\":(?!60)\d+/);
  });
});
