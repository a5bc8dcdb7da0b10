import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import {
  ArnFormat,
  CfnOutput,
  CustomResource,
  Duration,
  SecretValue,
  Stack,
  type StackProps,
  Tags,
  Validations,
} from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { Construct } from 'constructs';
import { encodeServiceRegistry } from '../../lambdas/adapters/aws/functionEnvironment.ts';
import { LAMBDA_TARGET_ENV } from '../../lambdas/adapters/aws/lambdaTarget/config.ts';
import { encodeReconcileRegistry } from '../../lambdas/adapters/aws/reconcile/registry.ts';
import { SERVICE_REGISTRY_RESOURCE_TYPE } from '../../lambdas/adapters/aws/registry/serviceRegistry.ts';
import { EC2_TARGET_ENV } from '../../lambdas/adapters/aws/target/config.ts';
import { DEPLOY_TARGET_ENV } from '../../lambdas/adapters/aws/target/kind.ts';
import { ALARM_NAME_PREFIX } from '../../lambdas/core/evidence/alarms.ts';
import { lastingBotScheduleGroup } from '../../lambdas/core/evidence/botSchedulePlan.ts';
import { TASK_TYPES, type TaskType } from '../../lambdas/core/pipeline/contract.ts';
import { TASK_LAMBDA_TIMEOUT_SECONDS } from '../../lambdas/core/pipeline/taskTimeouts.ts';
import { StackDefinitionError } from '../config/errors.ts';
import { LAMBDA_FLAVOUR, type PlatformConfig } from '../config/platformConfig.ts';
import { CostCollector, TeamCostDashboard } from '../cost/index.ts';
import { handlerEntry, PROJECT_ROOT, taskEntry } from '../function/bundling.ts';
import { VouchFunction } from '../function/VouchFunction.ts';
import { AlarmStateChangeRule } from './AlarmStateChangeRule.ts';
import { ArtifactBucket } from './ArtifactBucket.ts';
import { BuildTable } from './BuildTable.ts';
import { CONTROL_PERMISSIONS, ControlEndpoint } from './ControlEndpoint.ts';
import { NotificationChannel } from './NotificationChannel.ts';
import { PipelineStateMachine } from './PipelineStateMachine.ts';
import { ReconcileSchedule } from './ReconcileSchedule.ts';
import { RunBotScheduling } from './RunBotScheduling.ts';
import {
  BUILD_PROJECT_PREFIX,
  functionEnvironment,
  lastingBotRoleName,
  RUNTIME_ENV,
} from './runtimeEnvironment.ts';
import { SweepSchedule } from './SweepSchedule.ts';
import {
  EVENT_HANDLERS,
  type EventHandler,
  HANDLER_PERMISSIONS,
  LAMBDA_TARGET_TASK_PERMISSIONS,
  LAMBDA_TARGET_TASK_TYPES,
  type LambdaTargetTaskType,
  type PermissionGrant,
  type ResourceScope,
  TASK_PERMISSIONS,
} from './taskPermissions.ts';
import { WebhookEndpoint } from './WebhookEndpoint.ts';
import { WindowEndScheduling } from './WindowEndScheduling.ts';

/** Every alarm Vouch creates is named `vouch.<service>.<environment>.<signal>` (lambdas/core/evidence/alarms.ts). */
export { ALARM_NAME_PREFIX };

/**
 * Task types that drive a deploy target and so receive its configuration (the EC2 + ALB one; a Lambda
 * service's tasks of the same types get functions of their own): one list, kept in taskPermissions.ts.
 */
export const TARGET_TASK_TYPES: readonly TaskType[] = LAMBDA_TARGET_TASK_TYPES;

export interface PlatformStackProps extends StackProps {
  readonly config: PlatformConfig;
  /** The compiler's ASL of each pipe flavour, by flavour name: one state machine each. */
  readonly flavours: ReadonlyMap<string, object>;
  /** Bundle the Lambdas with esbuild; `false` deploys stubs (fine-grained tests only). @default true */
  readonly bundle?: boolean;
}

/**
 * The Vouch platform (macro stack): build data table, one state machine per flavour, every Lambda with
 * exactly the permissions its handler needs, the webhook endpoint, alarm events, window-end scheduling,
 * notifications. Secrets are referenced by name, created outside the template.
 */
export class PlatformStack extends Stack {
  readonly buildTable: BuildTable;
  readonly artifacts: ArtifactBucket;
  readonly taskFunctions: ReadonlyMap<TaskType, VouchFunction>;
  /** The Lambda target's task functions (lambda-canary), when a service names a `lambdaTarget`. */
  readonly lambdaTaskFunctions: ReadonlyMap<LambdaTargetTaskType, VouchFunction>;
  readonly handlers: ReadonlyMap<EventHandler, VouchFunction>;
  /** The control Lambda and its IAM-authenticated URL. */
  readonly control: ControlEndpoint;
  readonly controlFunction: VouchFunction;
  readonly stateMachines: ReadonlyMap<string, PipelineStateMachine>;
  readonly notifications: NotificationChannel;
  readonly windowEnd: WindowEndScheduling;
  readonly runBots: RunBotScheduling;
  readonly webhook: WebhookEndpoint;
  readonly costCollector: CostCollector;
  /** The reconciler's recurring schedule (its Lambda is `handlers.get('reconciler')`). */
  readonly reconciler: ReconcileSchedule;
  /** The sweeper's recurring schedule (its Lambda is `handlers.get('sweeper')`). */
  readonly sweeper: SweepSchedule;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id, props);
    const { config } = props;
    const bundle = props.bundle ?? true;
    if (bundle) {
      // Say every missing handler at once, instead of NodejsFunction's first "Cannot find entry file".
      const entries = [...TASK_TYPES.map((t) => taskEntry(t)), ...EVENT_HANDLERS.map((h) => handlerEntry(h))];
      const missing = entries.filter((entry) => !existsSync(entry));
      if (missing.length > 0) {
        throw new StackDefinitionError(
          `Lambda entries not found (each exports \`handler\`):\n${missing.map((m) => `  ${relative(PROJECT_ROOT, m)}`).join('\n')}`,
        );
      }
    }
    Tags.of(this).add('service', 'vouch');
    Tags.of(this).add('team', config.platform.team);
    Tags.of(this).add('solution', config.platform.solution);

    this.buildTable = new BuildTable(this, 'Builds');
    this.notifications = new NotificationChannel(this, 'Notifications');
    // The build task uploads here, the builder fetches from here with the EC2 target's instance role
    // (the builder's launch template defaults to the service one; a separate builder profile needs its own grant).
    const instanceRoleArn = config.platform.ec2Target?.instanceRoleArn;
    this.artifacts = new ArtifactBucket(this, 'Artifacts', {
      ...(instanceRoleArn ? { readerRoleArns: [instanceRoleArn] } : {}),
    });
    const secrets = {
      webhookSecret: secretsmanager.Secret.fromSecretNameV2(
        this,
        'WebhookSecret',
        config.platform.secrets.webhookSecret,
      ),
      gitTokenSecret: secretsmanager.Secret.fromSecretNameV2(
        this,
        'GitTokenSecret',
        config.platform.secrets.gitToken,
      ),
      slackTokenSecret: secretsmanager.Secret.fromSecretNameV2(
        this,
        'SlackTokenSecret',
        config.platform.secrets.slackToken,
      ),
    };

    // CodeBuild clones the services' GitHub repos with the Git token (account-level source credential;
    // a dynamic reference, resolved by CloudFormation, so the token is never in the template).
    new codebuild.GitHubSourceCredentials(this, 'GitHubCredentials', {
      accessToken: SecretValue.secretsManager(config.platform.secrets.gitToken),
    });

    const tableEnv = { [RUNTIME_ENV.buildTable]: this.buildTable.table.tableName };
    const fn = (
      id: string,
      entry: string,
      serviceName: string,
      environment: Record<string, string>,
      description: string,
      timeout?: Duration,
    ) =>
      new VouchFunction(this, id, {
        entry,
        serviceName,
        environment,
        description,
        bundle,
        ...(timeout ? { timeout } : {}),
      });

    // Event handlers that the task Lambdas reference come first (window end, bot), the rest after the
    // state machines. The window-end group's name is fixed, so the resumers name it without a reference.
    const windowScheduleGroup = 'vouch-windows';
    const resumerEnv = functionEnvironment('windowResumer', {
      ...tableEnv,
      [RUNTIME_ENV.windowScheduleGroup]: windowScheduleGroup,
    });
    const windowEndFn = fn(
      'WindowEnd',
      handlerEntry('windowEnd'),
      'vouch-window-end',
      resumerEnv,
      'Vouch: closes a verification window at its end',
    );
    this.windowEnd = new WindowEndScheduling(this, 'WindowEndScheduling', {
      handler: windowEndFn.function,
      scheduleGroupName: windowScheduleGroup,
    });
    // A scheduled invocation runs up to 60 scenarios spread over 50 s (plannedBots), each step with its
    // latency budget: two minutes.
    const botFn = fn(
      'Bot',
      handlerEntry('bot'),
      'vouch-bot',
      functionEnvironment('bot', {}),
      'Vouch: runs one bot scenario against an environment',
      Duration.minutes(2),
    );
    this.runBots = new RunBotScheduling(this, 'RunBotScheduling', { botFunction: botFn.function });

    const targetEnv = ec2TargetEnvironment(config);
    // The variables of a task type besides its target's: table, topic, projects, bucket, window, bots.
    const taskEnvironment = (type: TaskType): Record<string, string> => {
      const environment: Record<string, string> = { ...tableEnv };
      if (type === 'notify' || type === 'rollback')
        environment[RUNTIME_ENV.notificationTopicArn] = this.notifications.topic.topicArn;
      if (type === 'build' || type === 'test')
        environment[RUNTIME_ENV.buildProjectPrefix] = BUILD_PROJECT_PREFIX;
      // build and test name the upload target in the build; bake derives the same URI. None of them
      // touches the bucket itself (CodeBuild uploads, the builder instance downloads): no S3 grant.
      if (type === 'build' || type === 'test' || type === 'bake')
        environment[RUNTIME_ENV.artifactBucket] = this.artifacts.bucket.bucketName;
      if (type === 'verify') {
        environment[RUNTIME_ENV.windowScheduleGroup] = this.windowEnd.group.scheduleGroupName;
        environment[RUNTIME_ENV.windowEndFunctionArn] = windowEndFn.function.functionArn;
        environment[RUNTIME_ENV.windowEndRoleArn] = this.windowEnd.role.roleArn;
      }
      // A run's test environment gets its bots at its first deploy; destroy removes them.
      if (type === 'deploy' || type === 'destroy')
        environment[RUNTIME_ENV.runBotScheduleGroup] = this.runBots.scheduleGroupName;
      if (type === 'deploy') {
        environment[RUNTIME_ENV.botFunctionArn] = botFn.function.functionArn;
        environment[RUNTIME_ENV.botRoleArn] = this.runBots.role.roleArn;
      }
      return environment;
    };
    const taskFunctions = new Map<TaskType, VouchFunction>();
    for (const type of TASK_TYPES) {
      const environment = taskEnvironment(type);
      if (TARGET_TASK_TYPES.includes(type))
        Object.assign(environment, { [DEPLOY_TARGET_ENV]: 'ec2' }, targetEnv);
      const id = `Task${type[0]?.toUpperCase()}${type.slice(1)}`;
      taskFunctions.set(
        type,
        fn(
          id,
          taskEntry(type),
          `vouch-task-${type}`,
          // Checked against the task's contract: a variable it needs and does not get fails synth.
          functionEnvironment(type, environment),
          `Vouch pipeline task: ${type}`,
          Duration.seconds(TASK_LAMBDA_TIMEOUT_SECONDS[type]),
        ),
      );
    }
    // The Lambda target's task functions: the same handlers, another target through the same contract
    // (VOUCH_DEPLOY_TARGET=lambda), for the services whose config names their function.
    const lambdaServices = config.services.filter((s) => s.lambdaTarget !== undefined);
    const lambdaTaskFunctions = new Map<LambdaTargetTaskType, VouchFunction>();
    // Which function runs each Lambda service: the Lambda target's task functions, the reconciler and
    // the sweeper.
    const lambdaFunctions =
      lambdaServices.length === 0
        ? undefined
        : JSON.stringify({
            services: Object.fromEntries(
              lambdaServices.map((s) => [
                s.name,
                {
                  functionName: s.lambdaTarget?.functionName,
                  team: s.team,
                  solution: s.solution,
                  baseUrls: Object.fromEntries(
                    s.environments.filter((e) => !e.ephemeral).map((e) => [e.name, e.baseUrl]),
                  ),
                },
              ]),
            ),
          });
    if (lambdaFunctions !== undefined) {
      for (const type of LAMBDA_TARGET_TASK_TYPES) {
        const id = `LambdaTask${type[0]?.toUpperCase()}${type.slice(1)}`;
        lambdaTaskFunctions.set(
          type,
          fn(
            id,
            taskEntry(type),
            `vouch-lambda-task-${type}`,
            functionEnvironment(type, {
              ...taskEnvironment(type),
              [DEPLOY_TARGET_ENV]: 'lambda',
              [LAMBDA_TARGET_ENV.functions]: lambdaFunctions,
            }),
            `Vouch pipeline task on the Lambda target: ${type}`,
            Duration.seconds(TASK_LAMBDA_TIMEOUT_SECONDS[type]),
          ),
        );
      }
    }
    this.lambdaTaskFunctions = lambdaTaskFunctions;
    this.taskFunctions = taskFunctions;

    const stateMachines = new Map<string, PipelineStateMachine>();
    const invokable = new Map<string, lambda.IFunction>(
      [...taskFunctions].map(([type, f]) => [type, f.function]),
    );
    // The lambda-canary pipe's target tasks are the Lambda target's functions; without a Lambda
    // service configured there are none, and no state machine for that flavour.
    const lambdaInvokable = new Map<string, lambda.IFunction>([
      ...invokable,
      ...[...lambdaTaskFunctions].map(([type, f]) => [type, f.function] as const),
    ]);
    for (const [flavour, definition] of props.flavours) {
      if (flavour === LAMBDA_FLAVOUR && lambdaTaskFunctions.size === 0) continue;
      const taskFunctions = flavour === LAMBDA_FLAVOUR ? lambdaInvokable : invokable;
      stateMachines.set(
        flavour,
        new PipelineStateMachine(this, `Pipe-${flavour}`, { flavour, definition, taskFunctions }),
      );
    }
    this.stateMachines = stateMachines;
    // By name, not by reference: the window Lambdas answer these state machines, whose definitions
    // name the verify Lambda, whose environment names the window-end Lambda: a reference would be a cycle.
    const machineArns = [...stateMachines.keys()].map((flavour) =>
      this.formatArn({
        service: 'states',
        resource: 'stateMachine',
        resourceName: `vouch-${flavour}`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    );

    const stateMachineArns = this.toJsonString(
      Object.fromEntries([...stateMachines].map(([name, m]) => [name, m.stateMachine.stateMachineArn])),
    );
    const webhookFn = fn(
      'Webhook',
      handlerEntry('webhook'),
      'vouch-webhook',
      functionEnvironment('webhook', {
        ...tableEnv,
        [RUNTIME_ENV.webhookSecretName]: config.platform.secrets.webhookSecret,
        [RUNTIME_ENV.gitTokenSecretName]: config.platform.secrets.gitToken,
        [RUNTIME_ENV.stateMachines]: stateMachineArns,
        // Compressed: Lambda's 4 KB for all variables held about 35 services as plain JSON.
        [RUNTIME_ENV.services]: encodeServiceRegistry(
          config.services.map((s) => ({
            name: s.name,
            repo: s.repo,
            flavour: s.flavour,
            team: s.team,
            solution: s.solution,
          })),
        ),
      }),
      'Vouch: Git push webhook, starts pipeline executions',
    );
    const alarmEventFn = fn(
      'AlarmEvent',
      handlerEntry('alarmEvent'),
      'vouch-alarm-event',
      resumerEnv,
      'Vouch: fails an open window on an alarm',
    );
    const notifierFn = new VouchFunction(this, 'Notifier', {
      entry: handlerEntry('notifier'),
      serviceName: 'vouch-notifier',
      description: 'Vouch: posts notifications to Slack',
      bundle,
      // Five Slack attempts with backoff and Retry-After (lambdas/handlers/notifier.ts) fit in 4 minutes.
      timeout: Duration.minutes(4),
      onFailure: this.notifications.deadLetterQueue,
      environment: {
        // Names as lambdas/handlers/notifier.ts reads them; SecretId takes the secret's name.
        SLACK_TOKEN_SECRET_ARN: config.platform.secrets.slackToken,
        [RUNTIME_ENV.buildTable]: this.buildTable.table.tableName,
        TEAM_CHANNELS: JSON.stringify(Object.fromEntries(config.teams.map((t) => [t.name, t.slackChannel]))),
      },
    });
    this.notifications.subscribe(notifierFn.function);
    // Runs whose execution ended without their cleanup, on a schedule (issue 12): one invocation walks
    // every service (Query per service, DescribeExecution per RUNNING build, target calls per leftover).
    const servicePipes = encodeReconcileRegistry(
      config.services.map((s) => ({
        service: s.name,
        team: s.team,
        flavour: s.flavour,
        environments: s.environments.map((e) => ({ name: e.name, ephemeral: e.ephemeral })),
      })),
    );
    const reconcilerFn = fn(
      'Reconciler',
      handlerEntry('reconciler'),
      'vouch-reconciler',
      functionEnvironment('reconciler', {
        ...tableEnv,
        ...targetEnv,
        ...(lambdaFunctions === undefined ? {} : { [LAMBDA_TARGET_ENV.functions]: lambdaFunctions }),
        [RUNTIME_ENV.notificationTopicArn]: this.notifications.topic.topicArn,
        [RUNTIME_ENV.stateMachines]: stateMachineArns,
        [RUNTIME_ENV.runBotScheduleGroup]: this.runBots.scheduleGroupName,
        [RUNTIME_ENV.servicePipes]: servicePipes,
      }),
      'Vouch: ends runs whose execution ended without their cleanup; frees their locks and test environments',
      Duration.minutes(5),
    );
    this.reconciler = new ReconcileSchedule(this, 'ReconcileSchedule', { handler: reconcilerFn.function });
    // What ended runs left and images beyond the newest N, on a schedule (issue 18).
    const sweeperFn = fn(
      'Sweeper',
      handlerEntry('sweeper'),
      'vouch-sweeper',
      functionEnvironment('sweeper', {
        ...tableEnv,
        ...targetEnv,
        // Its test aliases, versions and lasting aliases' canaries (unset without a Lambda service).
        [LAMBDA_TARGET_ENV.functions]: lambdaFunctions,
        [RUNTIME_ENV.stateMachines]: stateMachineArns,
        [RUNTIME_ENV.runBotScheduleGroup]: this.runBots.scheduleGroupName,
        [RUNTIME_ENV.servicePipes]: servicePipes,
        [RUNTIME_ENV.sweepKeepImages]: String(config.platform.sweeper.keepImages),
        [RUNTIME_ENV.sweepGraceMinutes]: String(config.platform.sweeper.graceMinutes),
      }),
      'Vouch: removes what ended runs left, their canaries, and images and versions beyond the newest N',
      Duration.minutes(5),
    );
    this.sweeper = new SweepSchedule(this, 'SweepSchedule', {
      handler: sweeperFn.function,
      every: Duration.minutes(config.platform.sweeper.everyMinutes),
    });
    // The configured services in the build table, on every deploy: without them the version task
    // refuses every run (UnknownServiceError). A custom resource answered by a Vouch Lambda
    // (lambdas/adapters/aws/registry/serviceRegistry.ts): the platform config is the registry's
    // source, and the webhook already refuses repos it does not list.
    const serviceRegistryFn = fn(
      'ServiceRegistry',
      handlerEntry('serviceRegistry'),
      'vouch-service-registry',
      functionEnvironment('serviceRegistry', tableEnv),
      'Vouch: registers the configured services in the build table on deploy',
    );
    new CustomResource(this, 'ServiceRegistrations', {
      serviceToken: serviceRegistryFn.function.functionArn,
      resourceType: SERVICE_REGISTRY_RESOURCE_TYPE,
      properties: {
        Services: config.services.map((s) => ({
          service: s.name,
          team: s.team,
          solution: s.solution,
          repo: s.repo,
        })),
      },
    });
    const handlers = new Map<EventHandler, VouchFunction>([
      ['webhook', webhookFn],
      ['alarmEvent', alarmEventFn],
      ['windowEnd', windowEndFn],
      ['bot', botFn],
      ['notifier', notifierFn],
      ['reconciler', reconcilerFn],
      ['sweeper', sweeperFn],
      ['serviceRegistry', serviceRegistryFn],
    ]);
    this.handlers = handlers;

    this.webhook = new WebhookEndpoint(this, 'WebhookEndpoint', {
      handler: webhookFn.function,
      rateLimit: config.platform.webhookRateLimit,
    });
    // Cost: the daily collector and one cost dashboard per team (lib/cost).
    this.costCollector = new CostCollector(this, 'CostCollector', { table: this.buildTable.table, bundle });
    for (const team of config.teams) {
      new TeamCostDashboard(this, `CostDashboard-${team.name}`, {
        team: team.name,
        services: config.services.filter((s) => s.team === team.name).map((s) => ({ name: s.name })),
      });
    }

    new AlarmStateChangeRule(this, 'AlarmStateChanges', {
      handler: alarmEventFn.function,
      alarmNamePrefix: ALARM_NAME_PREFIX,
    });

    // People's promote / abort / rollback (vouch ... --aws, vouch dashboard --aws).
    const controlFn = fn(
      'Control',
      handlerEntry('control'),
      'vouch-control',
      functionEnvironment('control', {
        ...tableEnv,
        [RUNTIME_ENV.windowScheduleGroup]: windowScheduleGroup,
        [RUNTIME_ENV.stateMachines]: stateMachineArns,
        [RUNTIME_ENV.servicePipes]: servicePipes,
      }),
      "Vouch: people's promote, abort and rollback, with the caller's ARN",
    );
    this.control = new ControlEndpoint(this, 'ControlEndpoint', { handler: controlFn.function });
    this.controlFunction = controlFn;

    // Least privilege, from the typed table: one statement per grant.
    const scopes = this.resourceScopes(config, machineArns, secrets);
    for (const [type, f] of taskFunctions) grant(f, TASK_PERMISSIONS[type], scopes);
    for (const [type, f] of lambdaTaskFunctions) grant(f, LAMBDA_TARGET_TASK_PERMISSIONS[type], scopes);
    for (const name of EVENT_HANDLERS)
      grant(handlers.get(name) as VouchFunction, HANDLER_PERMISSIONS[name], scopes);
    grant(controlFn, CONTROL_PERMISSIONS, scopes);

    new CfnOutput(this, 'WebhookUrl', {
      value: this.webhook.url,
      description: "Payload URL of the repositories' push webhook",
    });
    new CfnOutput(this, 'BuildTableName', { value: this.buildTable.table.tableName });
    new CfnOutput(this, 'ControlUrl', {
      value: this.control.url.url,
      description: 'Control endpoint (AWS_IAM): vouch promote|abort|rollback --aws',
    });
    new CfnOutput(this, 'ControlOperatorPolicyArn', {
      value: this.control.operatorPolicy.managedPolicyArn,
      description: 'Attach to the roles of people who may promote, abort and roll back',
    });
    new CfnOutput(this, 'ArtifactBucketName', { value: this.artifacts.bucket.bucketName });
    new CfnOutput(this, 'NotificationTopicArn', { value: this.notifications.topic.topicArn });
    for (const [flavour, m] of stateMachines) {
      new CfnOutput(this, `StateMachine-${flavour}`, { value: m.stateMachine.stateMachineArn });
    }
    this.suppressPlatformFindings(
      [...taskFunctions.values(), ...lambdaTaskFunctions.values(), ...handlers.values(), controlFn],
      [...stateMachines.values()],
    );
  }

  /** ARNs of each resource scope the permission table names. */
  private resourceScopes(
    config: PlatformConfig,
    machineArns: string[],
    secrets: Record<'webhookSecret' | 'gitTokenSecret' | 'slackTokenSecret', secretsmanager.ISecret>,
  ): Record<ResourceScope, string[]> {
    const arn = (
      service: string,
      resource: string,
      resourceName: string,
      arnFormat = ArnFormat.SLASH_RESOURCE_NAME,
    ) => this.formatArn({ service, resource, resourceName, arnFormat });
    // Public and own AMIs have no account in their ARN.
    const images = this.formatArn({ service: 'ec2', resource: 'image', resourceName: '*', account: '' });
    const target = config.platform.ec2Target;
    // The deploy target's load balancer: its listener and that listener's rules. Without a configured
    // target, load balancers named `vouch-*`.
    const listener = target?.listenerArn ?? arn('elasticloadbalancing', 'listener', 'app/vouch-*/*/*');
    const listenerRules = target
      ? listenerRulesOf(target.listenerArn)
      : arn('elasticloadbalancing', 'listener-rule', 'app/vouch-*/*/*/*');
    const launchTemplates = target
      ? [...new Set([target.launchTemplateId, target.builderLaunchTemplateId ?? target.launchTemplateId])]
      : ['*'];
    return {
      buildTable: [this.buildTable.table.tableArn],
      ec2Instances: [arn('ec2', 'instance', '*')],
      ec2LaunchedResources: [arn('ec2', 'instance', '*'), arn('ec2', 'volume', '*')],
      ec2LaunchResources: [
        images,
        arn('ec2', 'subnet', '*'),
        arn('ec2', 'security-group', '*'),
        arn('ec2', 'network-interface', '*'),
        arn('ec2', 'volume', '*'),
        ...launchTemplates.map((id) => arn('ec2', 'launch-template', id)),
      ],
      // Snapshot ARNs have no account part: arn:${Partition}:ec2:${Region}::snapshot/${SnapshotId}
      // (Service Authorization Reference, Amazon EC2 resource types).
      ec2Images: [
        images,
        this.formatArn({ service: 'ec2', resource: 'snapshot', resourceName: '*', account: '' }),
      ],
      targetListeners: [listener],
      targetListenerRules: [listenerRules],
      targetGroups: [arn('elasticloadbalancing', 'targetgroup', '*/*')],
      ephemeralTargetGroups: [arn('elasticloadbalancing', 'targetgroup', 'vouch-*/*')],
      instanceRole: [
        target?.instanceRoleArn ??
          this.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: 'vouch-*' }),
      ],
      windowSchedules: [arn('scheduler', 'schedule', `${this.windowEnd.scheduleGroupName}/*`)],
      windowEndRole: [this.windowEnd.role.roleArn],
      runBotSchedules: [arn('scheduler', 'schedule', `${this.runBots.scheduleGroupName}/*`)],
      runBotRole: [this.runBots.role.roleArn],
      // Each service stack's bot schedules and their role (BotSchedules), named after the service.
      lastingBotSchedules: config.services.map((s) =>
        arn('scheduler', 'schedule', `${lastingBotScheduleGroup(s.name)}/*`),
      ),
      lastingBotRoles: config.services.map((s) =>
        this.formatArn({
          service: 'iam',
          region: '',
          resource: 'role',
          resourceName: lastingBotRoleName(s.name),
        }),
      ),
      buildProjects: [arn('codebuild', 'project', `${BUILD_PROJECT_PREFIX}*`)],
      notificationTopic: [this.notifications.topic.topicArn],
      vouchAlarms: [arn('cloudwatch', 'alarm', `${ALARM_NAME_PREFIX}*`, ArnFormat.COLON_RESOURCE_NAME)],
      // Per-run alarm names (runAlarms.ts): `vouch.<service>.<ephemeral environment>-<run key>.<signal>`.
      runAlarms: [
        ...new Set(
          config.services.flatMap((s) => s.environments.filter((e) => e.ephemeral).map((e) => e.name)),
        ),
      ]
        .sort()
        .map((name) =>
          arn('cloudwatch', 'alarm', `${ALARM_NAME_PREFIX}*.${name}-*`, ArnFormat.COLON_RESOURCE_NAME),
        ),
      stateMachines: machineArns,
      stateMachineExecutions: [...this.stateMachines.keys()].map((flavour) =>
        arn('states', 'execution', `vouch-${flavour}:*`, ArnFormat.COLON_RESOURCE_NAME),
      ),
      // A secret's ARN ends in `-` and six random characters Secrets Manager adds at creation.
      webhookSecret: [`${secrets.webhookSecret.secretArn}-??????`],
      gitTokenSecret: [`${secrets.gitTokenSecret.secretArn}-??????`],
      slackTokenSecret: [`${secrets.slackTokenSecret.secretArn}-??????`],
      // A function and its versions and aliases (`function:<name>:<qualifier>`), service by service.
      lambdaServiceFunctions: config.services.flatMap((s) => {
        const name = s.lambdaTarget?.functionName;
        if (name === undefined) return [];
        const unqualified = name.startsWith('arn:')
          ? name
          : arn('lambda', 'function', name, ArnFormat.COLON_RESOURCE_NAME);
        return [unqualified, `${unqualified}:*`];
      }),
      artifactObjects: [this.artifacts.bucket.arnForObjects('*')],
      unscoped: ['*'],
    };
  }

  /** The role of each state machine: log delivery and X-Ray take no resource ARNs. */
  private suppressPlatformFindings(_functions: VouchFunction[], machines: PipelineStateMachine[]): void {
    for (const m of machines) {
      Validations.of(m.stateMachine.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Step Functions log delivery (logs:CreateLogDelivery, PutResourcePolicy, DescribeLogGroups, ...) and X-Ray tracing (xray:PutTraceSegments, GetSamplingRules, ...) support no resource-level permissions; the only other permission is lambda:InvokeFunction on the exact task Lambdas.',
      });
    }
  }
}

/** Why a scope's ARNs end in a wildcard: the reason each cdk-nag IAM5 finding is acknowledged with. */
const WILDCARD_REASONS: Readonly<Record<ResourceScope, string>> = {
  buildTable: 'the build table',
  ec2Instances:
    'instances are started at run time; every action on them is narrowed by a condition: the vouch:image-id tag on the instance, or at launch aws:RequestTag / ec2:CreateAction',
  ec2LaunchedResources:
    'instances and volumes that RunInstances creates, tagged only inside that call (ec2:CreateAction = RunInstances)',
  ec2LaunchResources:
    "RunInstances is authorised on every AMI, subnet, security group, network interface and volume it touches; which ones is fixed by Vouch's launch templates, named exactly in the same statement",
  ec2Images:
    'AMIs and their snapshots are created at run time by CreateImage; tagged only inside that call (ec2:CreateAction = CreateImage)',
  targetListeners: "the deploy target's listener (a `vouch-*` load balancer when no target is configured)",
  targetListenerRules:
    "the rules of the deploy target's listener: provision creates one per ephemeral environment at run time",
  targetGroups: 'target groups of Vouch environments, narrowed by the vouch:environment-id tag condition',
  ephemeralTargetGroups: 'the target groups provision creates at run time, named vouch-<hash>-a and -b',
  instanceRole: 'the service instance role (a `vouch-*` role when no target is configured)',
  windowSchedules:
    "the one-time window-end schedules verify creates at run time, in Vouch's own schedule group",
  windowEndRole: 'the window-end scheduler role',
  runBotSchedules:
    "the per-run bot schedules deploy creates for a run's test environment, in Vouch's run-bots group",
  runBotRole: 'the run-bots scheduler role',
  lastingBotSchedules:
    "the bot schedules of a service's lasting environments, in its stack's group (vouch-<service>-bots/<environment>-<scenario>)",
  lastingBotRoles: "the service stacks' bot scheduler roles",
  buildProjects: 'the per-service CodeBuild projects (vouch-<service>) that the service stacks create',
  notificationTopic: 'the notification topic',
  vouchAlarms:
    'the golden-signal alarms (vouch.<service>.<environment>.<signal>) that the service stacks create',
  runAlarms:
    "the alarms of a run's ephemeral environment, created at run time: vouch.<service>.<environment>-<run>.<signal>",
  stateMachines: "Vouch's state machines",
  stateMachineExecutions: "executions of Vouch's state machines, named per webhook delivery at run time",
  webhookSecret: 'the webhook secret',
  gitTokenSecret: 'the Git token secret',
  slackTokenSecret: 'the Slack token secret',
  lambdaServiceFunctions:
    "the versions and aliases of the Lambda services' functions (function:<name>:<qualifier>): versions are published and test aliases created at run time",
  artifactObjects: 'the build artifacts, keyed by service and commit at run time',
  unscoped: 'APIs without resource-level permissions',
};

const XRAY_REASON =
  'X-Ray active tracing: xray:PutTraceSegments and PutTelemetryRecords support no resource-level permissions';

function grant(
  f: VouchFunction,
  grants: readonly PermissionGrant[],
  scopes: Record<ResourceScope, string[]>,
): void {
  const stack = Stack.of(f);
  // Every Lambda is traced, so `*` is always present; the table's own `*` grants add their reasons.
  const acknowledged = new Map<string, string>([['Resource::*', XRAY_REASON]]);
  for (const g of grants) {
    // A scope with no resources (no ephemeral environment configured: no per-run alarms) grants nothing.
    if (scopes[g.scope].length === 0) continue;
    for (const resource of scopes[g.scope]) {
      const flat = flattenCfnReference(stack.resolve(resource));
      if (!flat.includes('*')) continue;
      const finding = `Resource::${flat}`;
      const reason = g.scope === 'unscoped' ? `${g.actions.join(', ')}: ${g.why}` : WILDCARD_REASONS[g.scope];
      const before = acknowledged.get(finding);
      if (before === undefined) acknowledged.set(finding, reason);
      else if (!before.includes(reason)) acknowledged.set(finding, `${before}; ${reason}`);
    }
    if (g.scope === 'unscoped' && !g.why)
      throw new StackDefinitionError(`a grant of ${g.actions.join(', ')} on * has no reason`);
    f.role.addToPolicy(
      new iam.PolicyStatement({
        actions: [...g.actions],
        resources: scopes[g.scope],
        ...(g.conditions ? { conditions: g.conditions as Record<string, Record<string, unknown>> } : {}),
      }),
    );
  }
  for (const [finding, reason] of acknowledged) {
    Validations.of(f.role).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
  }
}

/** `arn:...:listener/app/<lb>/<id>/<listener>` -> `arn:...:listener-rule/app/<lb>/<id>/<listener>/*`. */
export function listenerRulesOf(listenerArn: string): string {
  return `${listenerArn.replace(':listener/', ':listener-rule/')}/*`;
}

/** The EC2 target's configuration as the environment variables its Lambdas read. */
function ec2TargetEnvironment(config: PlatformConfig): Record<string, string> {
  const target = config.platform.ec2Target;
  if (!target) return {};
  const out: Record<string, string> = {};
  for (const [field, variable] of Object.entries(EC2_TARGET_ENV)) {
    const value = target[field as keyof typeof EC2_TARGET_ENV];
    if (value !== undefined) out[variable] = String(value);
  }
  return out;
}
