/**
 * What each Lambda may call: exactly the AWS actions its handler makes, on Vouch's own resources.
 * Typed data, looped over by the platform stack (one IAM statement per grant). A resource scope names
 * a kind of resource; `PlatformStack` turns it into ARNs. `unscoped` (`*`) is allowed only with `why`:
 * the API has no resource-level permission (Service Authorization Reference, "Resource types" empty).
 */
import { keys, WEBHOOK_PREFIX } from '../../lambdas/adapters/dynamo/keys.ts';
import { TASK_TYPES, type TaskType } from '../../lambdas/core/pipeline/contract.ts';

/** Kinds of resources a grant may name; resolved to ARNs by the platform stack. */
export type ResourceScope =
  /** The build data table. */
  | 'buildTable'
  /** EC2 instances (narrowed by a tag condition). */
  | 'ec2Instances'
  /** Instances and volumes: what RunInstances tags at launch. */
  | 'ec2LaunchedResources'
  /** What RunInstances touches besides the instance: image, subnet, security group, ENI, volume, launch template. */
  | 'ec2LaunchResources'
  /** AMIs and their snapshots (CreateImage, CreateTags on the new image and its snapshots). */
  | 'ec2Images'
  /** Listeners of the deploy target's load balancer. */
  | 'targetListeners'
  /** Listener rules of the deploy target's load balancer. */
  | 'targetListenerRules'
  /** Target groups (narrowed by a tag condition). */
  | 'targetGroups'
  /** Target groups named `vouch-*`: those provision creates for ephemeral environments. */
  | 'ephemeralTargetGroups'
  /** The role service instances run with (passed to EC2 by RunInstances). */
  | 'instanceRole'
  /** One-time window-end schedules in Vouch's schedule group. */
  | 'windowSchedules'
  /** The role EventBridge Scheduler assumes to invoke the window-end Lambda. */
  | 'windowEndRole'
  /** Per-run bot schedules of ephemeral environments, in Vouch's run-bots group. */
  | 'runBotSchedules'
  /** The role EventBridge Scheduler assumes to invoke the bot Lambda for them. */
  | 'runBotRole'
  /** The bot schedules of the services' lasting environments (each service stack's group). */
  | 'lastingBotSchedules'
  /** The roles those schedules run with (one per service stack, by name). */
  | 'lastingBotRoles'
  /** CodeBuild projects named `vouch-*` (one per service, in the service stacks). */
  | 'buildProjects'
  /** The notification topic. */
  | 'notificationTopic'
  /** CloudWatch alarms Vouch creates (names from `alarmName`). */
  | 'vouchAlarms'
  /** Per-run alarms of ephemeral environments: `vouch.<service>.<ephemeral env>-<run>.<signal>`. */
  | 'runAlarms'
  /** The pipeline state machines (task-token callbacks, executions). */
  | 'stateMachines'
  /** Executions of the pipeline state machines. */
  | 'stateMachineExecutions'
  /** Secrets by role. */
  | 'webhookSecret'
  | 'gitTokenSecret'
  | 'slackTokenSecret'
  /** The functions of Lambda services (`function:<name>` and `function:<name>:*`: versions, aliases). */
  | 'lambdaServiceFunctions'
  /** The artifact bucket's objects (UpdateFunctionCode reads the package with the caller's rights). */
  | 'artifactObjects'
  /** `*`: only with `why`. */
  | 'unscoped';

export interface PermissionGrant {
  readonly actions: readonly string[];
  readonly scope: ResourceScope;
  /** IAM condition block, verbatim. */
  readonly conditions?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
  /** Required for `unscoped`: why no narrower resource is possible. */
  readonly why?: string;
}

/**
 * Tag every EC2 instance Vouch starts carries, builders and service instances alike
 * (lambdas/adapters/aws/target/tags.ts, `TAG.imageId`): the condition that keeps terminate and tag
 * calls off every other instance of the account.
 */
export const INSTANCE_TAG = 'vouch:image-id';
/** Tag of every target group and listener rule of a Vouch environment (`TAG.environmentId`). */
export const ENVIRONMENT_TAG = 'vouch:environment-id';

const ON_VOUCH_INSTANCES = { Null: { [`aws:ResourceTag/${INSTANCE_TAG}`]: 'false' } } as const;
const ON_VOUCH_TARGET_GROUPS = { Null: { [`aws:ResourceTag/${ENVIRONMENT_TAG}`]: 'false' } } as const;

// Table actions follow lambdas/adapters/dynamo (BuildRepository, DynamoWindowStore) method by method.
// No task needs gsi1 (the dashboards' and CLI's index), so no grant names the table's indexes.

const table = (...actions: string[]): PermissionGrant => ({ actions, scope: 'buildTable' });
const unscoped = (actions: string[], why: string): PermissionGrant => ({ actions, scope: 'unscoped', why });

const EC2_DESCRIBE = (...actions: string[]) =>
  unscoped(actions, 'EC2 Describe* actions support no resource-level permissions');
// resolve() finds an environment's target groups, tags and listener rules; none of these is scopable.
const ELB_DESCRIBE = (...extra: string[]) =>
  unscoped(
    [
      'elasticloadbalancing:DescribeTargetGroups',
      'elasticloadbalancing:DescribeTags',
      'elasticloadbalancing:DescribeRules',
      ...extra,
    ],
    'ELBv2 Describe* actions support no resource-level permissions',
  );
const METRIC_DATA = unscoped(
  ['cloudwatch:GetMetricData'],
  'cloudwatch:GetMetricData supports no resource-level permissions',
);

const LISTENER_ROUTING: PermissionGrant[] = [
  { actions: ['elasticloadbalancing:ModifyListener'], scope: 'targetListeners' },
  { actions: ['elasticloadbalancing:ModifyRule'], scope: 'targetListenerRules' },
];

/** RunInstances (builder or service instances) from Vouch's launch templates, tagged at launch. */
const LAUNCH_INSTANCES: PermissionGrant[] = [
  {
    actions: ['ec2:RunInstances'],
    scope: 'ec2Instances',
    conditions: { Null: { [`aws:RequestTag/${INSTANCE_TAG}`]: 'false' } },
  },
  { actions: ['ec2:RunInstances'], scope: 'ec2LaunchResources' },
  // Tags only as part of the RunInstances call that creates the instance and its volumes.
  {
    actions: ['ec2:CreateTags'],
    scope: 'ec2LaunchedResources',
    conditions: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } },
  },
  {
    actions: ['iam:PassRole'],
    scope: 'instanceRole',
    conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
  },
];

const TERMINATE_INSTANCES: PermissionGrant = {
  actions: ['ec2:TerminateInstances'],
  scope: 'ec2Instances',
  conditions: ON_VOUCH_INSTANCES,
};

/**
 * Only the provision task creates an environment: an ephemeral one's two `vouch-*` target groups and its
 * host rule on the listener, tagged in the same calls. Every other task resolves its environment
 * (createTaskContext `environment(input)`): an ephemeral one from the provision task's result in the
 * run's output, a lasting one (qa, prod: where release tasks and rollback act) by its tags, with the
 * Describe* calls of ELB_DESCRIBE only. So no other task is granted these.
 */
const PROVISION: PermissionGrant[] = [
  { actions: ['elasticloadbalancing:CreateTargetGroup'], scope: 'ephemeralTargetGroups' },
  { actions: ['elasticloadbalancing:CreateRule'], scope: 'targetListeners' },
  // Tags given in CreateTargetGroup / CreateRule are authorised as AddTags too (ELB user guide, "API
  // permissions to tag resources during creation"); CreateAction holds it to those two calls.
  {
    actions: ['elasticloadbalancing:AddTags'],
    scope: 'ephemeralTargetGroups',
    conditions: { StringEquals: { 'elasticloadbalancing:CreateAction': 'CreateTargetGroup' } },
  },
  {
    actions: ['elasticloadbalancing:AddTags'],
    scope: 'targetListenerRules',
    conditions: { StringEquals: { 'elasticloadbalancing:CreateAction': 'CreateRule' } },
  },
];

/**
 * A deploy to a lasting environment switches its bot schedules on (lastingBotSchedules.ts): read each,
 * then UpdateSchedule with all it had and State ENABLED, which passes the schedule's role again.
 */
const ENABLE_LASTING_BOTS: PermissionGrant[] = [
  { actions: ['scheduler:GetSchedule', 'scheduler:UpdateSchedule'], scope: 'lastingBotSchedules' },
  {
    actions: ['iam:PassRole'],
    scope: 'lastingBotRoles',
    conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
  },
];

/** What each task type calls besides its task events (lambdas/core/pipeline/tasks.ts, method by method). */
const TASK_CALLS: Readonly<Record<TaskType, readonly PermissionGrant[]>> = {
  // allocateVersion: the service counter (Update), idempotency by execution (BatchWrite); every
  // PRUNE_EVERY-th version prunes old allocations, reading their execution items (BatchGet); recordRunStarted.
  version: [table('dynamodb:UpdateItem', 'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem')],
  // acquireOrQueueLock: the lock, its queue and the environment item (Get), conditional Puts, and
  // leaving the queue once the lock is taken (conditional Delete).
  lock: [table('dynamodb:DeleteItem')],
  // releaseLock: conditional Delete.
  unlock: [table('dynamodb:DeleteItem')],
  // recordRunFinished.
  report: [table('dynamodb:UpdateItem')],
  build: [{ actions: ['codebuild:StartBuild'], scope: 'buildProjects' }],
  test: [{ actions: ['codebuild:StartBuild'], scope: 'buildProjects' }],
  bake: [
    ...LAUNCH_INSTANCES,
    { actions: ['ec2:CreateImage'], scope: 'ec2Instances', conditions: ON_VOUCH_INSTANCES },
    { actions: ['ec2:CreateImage'], scope: 'ec2Images' },
    {
      actions: ['ec2:CreateTags'],
      scope: 'ec2Images',
      conditions: { StringEquals: { 'ec2:CreateAction': 'CreateImage' } },
    },
    TERMINATE_INSTANCES,
    EC2_DESCRIBE('ec2:DescribeImages', 'ec2:DescribeInstances'),
  ],
  provision: [
    ...PROVISION,
    // createRule lists the listener's rules (a retried provision finds its host; a free priority); a
    // lasting environment is found by its tags (a service's own pipe may provision qa or prod).
    ELB_DESCRIBE(),
    // The run's test environment gets its own alarms (runAlarms.ts); tagged in the same call.
    { actions: ['cloudwatch:PutMetricAlarm', 'cloudwatch:TagResource'], scope: 'runAlarms' },
  ],
  deploy: [
    // renewLock (conditional Update) before acting; whereRuns (Query): is this a first release there?
    table('dynamodb:UpdateItem', 'dynamodb:Query'),
    ...LAUNCH_INSTANCES,
    {
      actions: [
        'elasticloadbalancing:ModifyTargetGroup',
        'elasticloadbalancing:RegisterTargets',
        'elasticloadbalancing:DeregisterTargets',
      ],
      scope: 'targetGroups',
      conditions: ON_VOUCH_TARGET_GROUPS,
    },
    ...LISTENER_ROUTING,
    TERMINATE_INSTANCES,
    ELB_DESCRIBE('elasticloadbalancing:DescribeTargetHealth'),
    EC2_DESCRIBE('ec2:DescribeImages', 'ec2:DescribeInstances'),
    // The first deploy of a run's ephemeral environment schedules its bots (runBotSchedules.ts).
    { actions: ['scheduler:CreateSchedule'], scope: 'runBotSchedules' },
    {
      actions: ['iam:PassRole'],
      scope: 'runBotRole',
      conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    },
    ...ENABLE_LASTING_BOTS,
  ],
  // runOnce: HTTP to the test environment's host (from provision's result), metrics as EMF in the log
  // stream: no AWS call besides its task events.
  bots: [],
  shift: [
    // renewLock: the run acts only while it holds the environment's lock (conditional Update).
    table('dynamodb:UpdateItem'),
    ...LISTENER_ROUTING,
    ELB_DESCRIBE(),
    EC2_DESCRIBE('ec2:DescribeInstances'),
  ],
  promote: [
    // recordPromotion: PROMOTED:<env> event and the environment item.
    table('dynamodb:UpdateItem'),
    ...LISTENER_ROUTING,
    {
      actions: ['elasticloadbalancing:DeregisterTargets', 'elasticloadbalancing:AddTags'],
      scope: 'targetGroups',
      conditions: ON_VOUCH_TARGET_GROUPS,
    },
    {
      actions: ['ec2:CreateTags', 'ec2:TerminateInstances'],
      scope: 'ec2Instances',
      conditions: ON_VOUCH_INSTANCES,
    },
    ELB_DESCRIBE(),
    EC2_DESCRIBE('ec2:DescribeInstances'),
  ],
  rollback: [
    // recordPromotion: ROLLED_BACK:<env>; then the team is told.
    table('dynamodb:UpdateItem'),
    ...LISTENER_ROUTING,
    {
      actions: ['elasticloadbalancing:DeregisterTargets'],
      scope: 'targetGroups',
      conditions: ON_VOUCH_TARGET_GROUPS,
    },
    TERMINATE_INSTANCES,
    { actions: ['sns:Publish'], scope: 'notificationTopic' },
    ELB_DESCRIBE(),
    EC2_DESCRIBE('ec2:DescribeInstances'),
  ],
  // Looked up by its id, not provisioned: a retried destroy must not recreate what it removed.
  destroy: [
    TERMINATE_INSTANCES,
    { actions: ['elasticloadbalancing:DeleteRule'], scope: 'targetListenerRules' },
    {
      actions: ['elasticloadbalancing:DeleteTargetGroup'],
      scope: 'targetGroups',
      conditions: ON_VOUCH_TARGET_GROUPS,
    },
    ELB_DESCRIBE(),
    EC2_DESCRIBE('ec2:DescribeInstances'),
    // The run's bot schedules go first (found by their name prefix).
    { actions: ['scheduler:DeleteSchedule'], scope: 'runBotSchedules' },
    unscoped(['scheduler:ListSchedules'], 'scheduler:ListSchedules supports no resource-level permissions'),
    // Then the run's alarms (found by their name prefix).
    { actions: ['cloudwatch:DescribeAlarms', 'cloudwatch:DeleteAlarms'], scope: 'runAlarms' },
  ],
  verify: [
    // openWindow: the end schedule, then the window item (DynamoWindowStore.openWindow: PutItem, granted
    // with the task events); the resumers close it, not verify.
    { actions: ['scheduler:CreateSchedule'], scope: 'windowSchedules' },
    {
      actions: ['iam:PassRole'],
      scope: 'windowEndRole',
      conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    },
  ],
  decide: [
    table('dynamodb:UpdateItem'),
    { actions: ['cloudwatch:DescribeAlarms', 'cloudwatch:DescribeAlarmHistory'], scope: 'vouchAlarms' },
    METRIC_DATA,
  ],
  // The canary and baseline series of the environment's target groups on the shared ALB.
  judge: [ELB_DESCRIBE(), EC2_DESCRIBE('ec2:DescribeInstances'), METRIC_DATA],
  notify: [
    // What the run promoted, as it recorded it: one Query of the build's events.
    table('dynamodb:Query'),
    { actions: ['sns:Publish'], scope: 'notificationTopic' },
  ],
};

/**
 * The Lambda target's calls (lambdas/adapters/aws/lambdaTarget/LambdaDeployTarget.ts), on the services'
 * functions only. Only the provision task creates the run's test alias and its AWS_IAM URL; the other
 * tasks take the test environment from provision's result and look a lasting one up (its alias and URL).
 */
const lambdaFn = (...actions: string[]): PermissionGrant => ({
  actions: actions.map((a) => `lambda:${a}`),
  scope: 'lambdaServiceFunctions',
});
const LAMBDA_LOOKUP = lambdaFn('GetAlias', 'GetFunctionUrlConfig');
const LAMBDA_PROVISION = lambdaFn(
  'GetAlias',
  'CreateAlias',
  'CreateFunctionUrlConfig',
  'GetFunctionUrlConfig',
);

/** What each target task type calls when it drives the Lambda target instead of EC2 + ALB. */
const LAMBDA_TARGET_CALLS: Readonly<Record<LambdaTargetTaskType, readonly PermissionGrant[]>> = {
  // UpdateFunctionCode with Publish (PublishVersion), then GetFunctionConfiguration of the version
  // until it is active; Lambda reads the package from S3 with the caller's permissions.
  bake: [
    lambdaFn('UpdateFunctionCode', 'PublishVersion', 'GetFunctionConfiguration'),
    { actions: ['s3:GetObject'], scope: 'artifactObjects' },
  ],
  provision: [
    LAMBDA_PROVISION,
    { actions: ['cloudwatch:PutMetricAlarm', 'cloudwatch:TagResource'], scope: 'runAlarms' },
  ],
  deploy: [
    table('dynamodb:UpdateItem', 'dynamodb:Query'),
    LAMBDA_LOOKUP,
    lambdaFn('UpdateAlias'),
    { actions: ['scheduler:CreateSchedule'], scope: 'runBotSchedules' },
    {
      actions: ['iam:PassRole'],
      scope: 'runBotRole',
      conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    },
    ...ENABLE_LASTING_BOTS,
  ],
  // runOnce: signed requests to the test alias's function URL (from provision's result).
  bots: [lambdaFn('InvokeFunctionUrl')],
  shift: [table('dynamodb:UpdateItem'), LAMBDA_LOOKUP, lambdaFn('UpdateAlias')],
  promote: [table('dynamodb:UpdateItem'), LAMBDA_LOOKUP, lambdaFn('UpdateAlias')],
  rollback: [
    table('dynamodb:UpdateItem'),
    LAMBDA_LOOKUP,
    lambdaFn('UpdateAlias'),
    { actions: ['sns:Publish'], scope: 'notificationTopic' },
  ],
  destroy: [
    lambdaFn('DeleteFunctionUrlConfig', 'DeleteAlias'),
    { actions: ['scheduler:DeleteSchedule'], scope: 'runBotSchedules' },
    unscoped(['scheduler:ListSchedules'], 'scheduler:ListSchedules supports no resource-level permissions'),
    { actions: ['cloudwatch:DescribeAlarms', 'cloudwatch:DeleteAlarms'], scope: 'runAlarms' },
  ],
  // The function's own metrics per executed version behind the alias (lambdaCanarySamples.ts).
  judge: [LAMBDA_LOOKUP, METRIC_DATA],
};

/** Task types that drive a deploy target (and so have a Lambda-target function of their own); PlatformStack's TARGET_TASK_TYPES. */
export const LAMBDA_TARGET_TASK_TYPES = [
  'bake',
  'provision',
  'deploy',
  'bots',
  'shift',
  'judge',
  'promote',
  'rollback',
  'destroy',
] as const satisfies readonly TaskType[];
export type LambdaTargetTaskType = (typeof LAMBDA_TARGET_TASK_TYPES)[number];

/** Every grant of a Lambda-target task function: its task events and its own calls. */
export const LAMBDA_TARGET_TASK_PERMISSIONS: Readonly<
  Record<LambdaTargetTaskType, readonly PermissionGrant[]>
> = withLambdaTaskEvents(LAMBDA_TARGET_CALLS);

function withLambdaTaskEvents(
  calls: Readonly<Record<LambdaTargetTaskType, readonly PermissionGrant[]>>,
): Record<LambdaTargetTaskType, readonly PermissionGrant[]> {
  const grants = { ...calls };
  for (const type of LAMBDA_TARGET_TASK_TYPES)
    grants[type] = [table('dynamodb:GetItem', 'dynamodb:PutItem'), ...calls[type]];
  return grants;
}

/**
 * Per task type, every grant of its Lambda: its task events (every task reports start and end to the
 * build data repository: recordTaskEvent reads the build, puts the event) and its own calls.
 */
export const TASK_PERMISSIONS: Readonly<Record<TaskType, readonly PermissionGrant[]>> =
  withTaskEvents(TASK_CALLS);

function withTaskEvents(
  calls: Readonly<Record<TaskType, readonly PermissionGrant[]>>,
): Record<TaskType, readonly PermissionGrant[]> {
  const grants = { ...calls };
  for (const type of TASK_TYPES)
    grants[type] = [table('dynamodb:GetItem', 'dynamodb:PutItem'), ...calls[type]];
  return grants;
}

/** The Lambdas that are not pipeline tasks, by handler file name (lambdas/handlers/<name>.ts). */
export const EVENT_HANDLERS = [
  'webhook',
  'alarmEvent',
  'windowEnd',
  'bot',
  'notifier',
  'reconciler',
  'sweeper',
  'serviceRegistry',
] as const;
export type EventHandler = (typeof EVENT_HANDLERS)[number];

/** Closing a window (alarmEvent, windowEnd): window item, the evidence (cloudWatchEvidence), the token. */
const WINDOW_CLOSE: PermissionGrant[] = [
  table('dynamodb:GetItem', 'dynamodb:UpdateItem'),
  { actions: ['cloudwatch:DescribeAlarms', 'cloudwatch:DescribeAlarmHistory'], scope: 'vouchAlarms' },
  METRIC_DATA,
  // Task-token callbacks: SendTaskSuccess/Failure have no resource type in the IAM service
  // authorization reference, so IAM evaluates them against `*` and a grant on the state machines
  // never matches (seen on the twin: AccessDenied on resource *). The task token is the capability.
  unscoped(
    ['states:SendTaskSuccess', 'states:SendTaskFailure'],
    'SendTask* support no resource-level permissions: the task token names the task',
  ),
  // A window an alarm closed early has its pending end schedule deleted (windowEndSchedule.ts).
  { actions: ['scheduler:DeleteSchedule'], scope: 'windowSchedules' },
];

/**
 * The webhook's delivery ledger (lambdas/adapters/dynamo/deliveryLedger.ts): conditional Put, consistent
 * Get, Update (take over, mark started) and Delete (release) of its own items only: every key it
 * writes starts with WEBHOOK#, and `dynamodb:LeadingKeys` holds the role to those partitions.
 */
const WEBHOOK_LEDGER: PermissionGrant = {
  actions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
  scope: 'buildTable',
  conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${WEBHOOK_PREFIX}*`] } },
};

export const HANDLER_PERMISSIONS: Readonly<Record<EventHandler, readonly PermissionGrant[]>> = {
  webhook: [
    WEBHOOK_LEDGER,
    { actions: ['secretsmanager:GetSecretValue'], scope: 'webhookSecret' },
    { actions: ['secretsmanager:GetSecretValue'], scope: 'gitTokenSecret' },
    { actions: ['states:StartExecution'], scope: 'stateMachines' },
    { actions: ['states:DescribeExecution'], scope: 'stateMachineExecutions' },
  ],
  alarmEvent: WINDOW_CLOSE,
  windowEnd: WINDOW_CLOSE,
  // A Lambda service's test alias has an AWS_IAM function URL: the bots sign their requests (SigV4).
  bot: [{ actions: ['lambda:InvokeFunctionUrl'], scope: 'lambdaServiceFunctions' }],
  // The scheduled reconciler (lambdas/adapters/aws/reconcile/deployedReconcile.ts), call by call.
  reconciler: [
    // listRunningBuilds and whereRuns (Query); findLock and getBuild (Get); recordRunFinished (Update,
    // then its RUN event: Put); correctServing (Put or Delete); releaseLock and leaveQueue (Delete).
    table(
      'dynamodb:Query',
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'dynamodb:PutItem',
      'dynamodb:DeleteItem',
    ),
    // Is the run's execution still running?
    { actions: ['states:DescribeExecution'], scope: 'stateMachineExecutions' },
    // A run's test environment, destroyed as the destroy task does: its bot schedules, then the target.
    ...TASK_CALLS.destroy,
    // What a lasting environment serves (describe: its target groups, rule and instances).
    ELB_DESCRIBE(),
    // A Lambda service's: what its lasting alias runs (describe: GetAlias; the base URL is the
    // config's), and a run's test alias with its URL, destroyed as the Lambda destroy task does.
    lambdaFn('GetAlias', 'DeleteFunctionUrlConfig', 'DeleteAlias'),
    // The team is told.
    { actions: ['sns:Publish'], scope: 'notificationTopic' },
  ],
  // The scheduled sweeper (lambdas/adapters/aws/sweeper/awsSweep.ts), call by call.
  sweeper: [
    // listRunningBuilds (Query) and recordSweep (Put), both in the services' partitions only.
    {
      actions: ['dynamodb:Query', 'dynamodb:PutItem'],
      scope: 'buildTable',
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [keys.service('*').pk] } },
    },
    // Is a RUNNING build's execution still running?
    { actions: ['states:DescribeExecution'], scope: 'stateMachineExecutions' },
    // A leftover test environment, removed as the destroy task removes it; with the same grants, a
    // stopped bake's builder (TerminateInstances on instances bake tagged), and a bot schedule or an
    // alarm whose environment is gone (ListSchedules, DeleteSchedule in the run-bots group;
    // DescribeAlarms, DeleteAlarms on per-run alarms).
    ...TASK_CALLS.destroy,
    // Whose a run-bots schedule is: its input names the environment (botScheduleSweep.ts).
    { actions: ['scheduler:GetSchedule'], scope: 'runBotSchedules' },
    // Whose a per-run alarm is: its vouch:environment-id tag (alarmSweep.ts); listed and deleted by
    // destroy's grants above, on the same per-run alarms only.
    { actions: ['cloudwatch:ListTagsForResource'], scope: 'runAlarms' },
    // The inventory: per-run target groups with their tags and instances (destroy's describes above),
    // AMIs by their vouch: tag.
    EC2_DESCRIBE('ec2:DescribeImages'),
    // Images beyond the newest N: only AMIs and snapshots bake tagged (CreateImage tags both).
    {
      actions: ['ec2:DeregisterImage', 'ec2:DeleteSnapshot'],
      scope: 'ec2Images',
      conditions: { Null: { [`aws:ResourceTag/${INSTANCE_TAG}`]: 'false' } },
    },
    // Whose canary is in qa or prod: findLock (Get), in the lock partitions only.
    {
      actions: ['dynamodb:GetItem'],
      scope: 'buildTable',
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${keys.lock('*', '').pk}*`] } },
    },
    // A stopped run's canary on EC2, rolled back as the rollback task does: its weight to 0 on the
    // rule (or listener), its instances deregistered (and terminated: destroy's grant above).
    ...LISTENER_ROUTING,
    {
      actions: ['elasticloadbalancing:DeregisterTargets'],
      scope: 'targetGroups',
      conditions: ON_VOUCH_TARGET_GROUPS,
    },
    // Lambda services (lambdaSweep.ts): the inventory of aliases and versions; a test alias goes with
    // its URL, a version beyond the newest N is deleted; a stopped run's canary weight on qa or prod
    // is removed (GetAlias, UpdateAlias) as the rollback task does.
    lambdaFn('ListAliases', 'ListVersionsByFunction', 'GetAlias'),
    lambdaFn('DeleteFunctionUrlConfig', 'DeleteAlias', 'DeleteFunction', 'UpdateAlias'),
  ],
  notifier: [
    { actions: ['secretsmanager:GetSecretValue'], scope: 'slackTokenSecret' },
    // DynamoDeliveryStore: resumable, idempotent deliveries.
    table('dynamodb:GetItem', 'dynamodb:UpdateItem'),
    unscoped(
      ['cloudwatch:GetMetricWidgetImage'],
      'cloudwatch:GetMetricWidgetImage supports no resource-level permissions',
    ),
  ],
  // The deploy-time registry (BuildRepository.registerService): one UpdateItem per service item only.
  serviceRegistry: [
    {
      actions: ['dynamodb:UpdateItem'],
      scope: 'buildTable',
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [keys.service('*').pk] } },
    },
  ],
};
