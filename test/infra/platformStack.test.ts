import { Match } from 'aws-cdk-lib/assertions';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseReconcileRegistry } from '../../lambdas/adapters/aws/reconcile/registry.ts';
import { BUILD_TABLE_SCHEMA } from '../../lambdas/adapters/dynamo/tableSchema.ts';
import { TASK_TYPES } from '../../lambdas/core/pipeline/contract.ts';
import { RUNTIME_ENV } from '../../lib/platform/runtimeEnvironment.ts';
import {
  asArray,
  propsOf,
  resourcesOf,
  type SynthesisedVouch,
  statementsOfRole,
  synthVouch,
} from './support/vouchApp.ts';

let vouch: SynthesisedVouch;
beforeAll(() => {
  vouch = synthVouch();
});

type Props = Record<string, unknown>;
const props = (r: { Properties?: Props }) => r.Properties ?? {};

/** Lambda functions by their Powertools service name. */
function functionsByService(): Map<string, { id: string; props: Props }> {
  const out = new Map<string, { id: string; props: Props }>();
  for (const [id, fn] of Object.entries(resourcesOf(vouch.platform, 'AWS::Lambda::Function'))) {
    const env = (props(fn).Environment as { Variables: Record<string, string> }).Variables;
    out.set(env.POWERTOOLS_SERVICE_NAME ?? id, { id, props: props(fn) });
  }
  return out;
}

/** A function's permissions as `action -> flattened resources (+ condition)`. */
function permissionsOf(service: string): Map<string, string[]> {
  const fn = functionsByService().get(service);
  if (!fn) throw new Error(`no function ${service}`);
  const role = (fn.props.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const out = new Map<string, string[]>();
  for (const s of statementsOfRole(vouch.platform, role)) {
    expect(s.Effect).toBe('Allow');
    for (const action of asArray(s.Action)) {
      for (const resource of asArray(s.Resource)) {
        const flat =
          flattenCfnReference(resource) + (s.Condition ? ` if ${JSON.stringify(s.Condition)}` : '');
        out.set(action, [...(out.get(action) ?? []), flat]);
      }
    }
  }
  return out;
}

const COMMON = [
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
];
const ELB_DESCRIBE = [
  'elasticloadbalancing:DescribeTargetGroups',
  'elasticloadbalancing:DescribeTags',
  'elasticloadbalancing:DescribeRules',
];
const LAUNCH = ['ec2:RunInstances', 'ec2:CreateTags', 'iam:PassRole'];
const CW_READ = ['cloudwatch:DescribeAlarms', 'cloudwatch:DescribeAlarmHistory', 'cloudwatch:GetMetricData'];

/** Every task reports its start and end to the build data repository (recordTaskEvent: Get, Put). */
const EVENTS = ['dynamodb:GetItem', 'dynamodb:PutItem'];
/**
 * Only provision creates an environment (target groups and a host rule, tagged in the same calls; it
 * lists the listener's rules). The other target tasks take the test environment from its result and
 * look up a lasting one (ELB_DESCRIBE).
 */
const PROVISION = [
  'elasticloadbalancing:CreateTargetGroup',
  'elasticloadbalancing:AddTags',
  'elasticloadbalancing:CreateRule',
  'elasticloadbalancing:DescribeRules',
];

/** The Lambda target's provision creates the test alias and its URL; the other tasks look aliases up. */
const LAMBDA_LOOKUP = ['lambda:GetAlias', 'lambda:GetFunctionUrlConfig'];
const LAMBDA_PROVISION = [...LAMBDA_LOOKUP, 'lambda:CreateAlias', 'lambda:CreateFunctionUrlConfig'];

/** Exactly the actions each handler calls (read from its adapters), besides logs and X-Ray. */
const EXPECTED_ACTIONS: Record<string, string[]> = {
  'vouch-task-version': [
    ...EVENTS,
    'dynamodb:UpdateItem',
    'dynamodb:BatchGetItem',
    'dynamodb:BatchWriteItem',
  ],
  // The lock, its queue and the environment item (Get), conditional Puts, leaving the queue (Delete).
  'vouch-task-lock': [...EVENTS, 'dynamodb:DeleteItem'],
  'vouch-task-unlock': [...EVENTS, 'dynamodb:DeleteItem'],
  'vouch-task-report': [...EVENTS, 'dynamodb:UpdateItem'],
  'vouch-task-build': [...EVENTS, 'codebuild:StartBuild'],
  'vouch-task-test': [...EVENTS, 'codebuild:StartBuild'],
  'vouch-task-bake': [
    ...EVENTS,
    ...LAUNCH,
    'ec2:CreateImage',
    'ec2:TerminateInstances',
    'ec2:DescribeImages',
    'ec2:DescribeInstances',
  ],
  // The run's test environment gets its own alarms (runAlarms.ts), tagged at creation.
  // A lasting environment it is asked for is found by its tags (ELB_DESCRIBE).
  'vouch-task-provision': [
    ...EVENTS,
    ...PROVISION,
    ...ELB_DESCRIBE,
    'cloudwatch:PutMetricAlarm',
    'cloudwatch:TagResource',
  ],
  'vouch-task-deploy': [
    ...EVENTS,
    // renewLock before acting; whereRuns to tell a first release.
    'dynamodb:UpdateItem',
    'dynamodb:Query',
    ...ELB_DESCRIBE,
    ...LAUNCH,
    'elasticloadbalancing:ModifyTargetGroup',
    'elasticloadbalancing:RegisterTargets',
    'elasticloadbalancing:DeregisterTargets',
    'elasticloadbalancing:ModifyListener',
    'elasticloadbalancing:ModifyRule',
    'ec2:TerminateInstances',
    'elasticloadbalancing:DescribeTargetHealth',
    'ec2:DescribeImages',
    'ec2:DescribeInstances',
    // Bots of the run's test environment (runBotSchedules.ts).
    'scheduler:CreateSchedule',
    // A lasting environment's bot schedules switched on (lastingBotSchedules.ts).
    'scheduler:GetSchedule',
    'scheduler:UpdateSchedule',
  ],
  // HTTP to the test environment's host, from provision's result: no AWS call.
  'vouch-task-bots': [...EVENTS],
  'vouch-task-shift': [
    ...EVENTS,
    'dynamodb:UpdateItem',
    ...ELB_DESCRIBE,
    'elasticloadbalancing:ModifyListener',
    'elasticloadbalancing:ModifyRule',
    'ec2:DescribeInstances',
  ],
  'vouch-task-promote': [
    ...EVENTS,
    'dynamodb:UpdateItem',
    ...ELB_DESCRIBE,
    // Swapping the groups' slot tags.
    'elasticloadbalancing:AddTags',
    'elasticloadbalancing:ModifyListener',
    'elasticloadbalancing:ModifyRule',
    'elasticloadbalancing:DeregisterTargets',
    'ec2:CreateTags',
    'ec2:TerminateInstances',
    'ec2:DescribeInstances',
  ],
  'vouch-task-rollback': [
    ...EVENTS,
    'dynamodb:UpdateItem',
    ...ELB_DESCRIBE,
    'elasticloadbalancing:ModifyListener',
    'elasticloadbalancing:ModifyRule',
    'elasticloadbalancing:DeregisterTargets',
    'ec2:TerminateInstances',
    'sns:Publish',
    'ec2:DescribeInstances',
  ],
  'vouch-task-destroy': [
    ...EVENTS,
    ...ELB_DESCRIBE,
    'ec2:TerminateInstances',
    'elasticloadbalancing:DeleteRule',
    'elasticloadbalancing:DeleteTargetGroup',
    'ec2:DescribeInstances',
    // The run's bot schedules (runBotSchedules.ts).
    'scheduler:ListSchedules',
    'scheduler:DeleteSchedule',
    // The run's alarms (runAlarms.ts).
    'cloudwatch:DescribeAlarms',
    'cloudwatch:DeleteAlarms',
  ],
  // The window item is a PutItem (EVENTS); its end schedule.
  'vouch-task-verify': [...EVENTS, 'scheduler:CreateSchedule', 'iam:PassRole'],
  'vouch-task-decide': [...EVENTS, 'dynamodb:UpdateItem', ...CW_READ],
  'vouch-task-judge': [...EVENTS, ...ELB_DESCRIBE, 'ec2:DescribeInstances', 'cloudwatch:GetMetricData'],
  'vouch-task-notify': [...EVENTS, 'dynamodb:Query', 'sns:Publish'],
  'vouch-webhook': [
    'secretsmanager:GetSecretValue',
    'states:StartExecution',
    'states:DescribeExecution',
    // The delivery ledger, on WEBHOOK# partitions only (asserted below).
    'dynamodb:PutItem',
    'dynamodb:GetItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
  ],
  'vouch-alarm-event': [
    'dynamodb:GetItem',
    'dynamodb:UpdateItem',
    ...CW_READ,
    'states:SendTaskSuccess',
    'states:SendTaskFailure',
    'scheduler:DeleteSchedule',
  ],
  'vouch-window-end': [
    'dynamodb:GetItem',
    'dynamodb:UpdateItem',
    ...CW_READ,
    'states:SendTaskSuccess',
    'states:SendTaskFailure',
    'scheduler:DeleteSchedule',
  ],
  // A Lambda service's test alias has an AWS_IAM function URL: the bots sign their requests.
  'vouch-bot': ['lambda:InvokeFunctionUrl'],
  // The Lambda target's task functions (lambda-canary): the same handlers, the service's function only.
  'vouch-lambda-task-bake': [
    ...EVENTS,
    'lambda:UpdateFunctionCode',
    'lambda:PublishVersion',
    'lambda:GetFunctionConfiguration',
    's3:GetObject',
  ],
  'vouch-lambda-task-provision': [
    ...EVENTS,
    ...LAMBDA_PROVISION,
    'cloudwatch:PutMetricAlarm',
    'cloudwatch:TagResource',
  ],
  'vouch-lambda-task-deploy': [
    ...EVENTS,
    ...LAMBDA_LOOKUP,
    'lambda:UpdateAlias',
    'dynamodb:UpdateItem',
    'dynamodb:Query',
    'scheduler:CreateSchedule',
    'scheduler:GetSchedule',
    'scheduler:UpdateSchedule',
    'iam:PassRole',
  ],
  'vouch-lambda-task-bots': [...EVENTS, 'lambda:InvokeFunctionUrl'],
  'vouch-lambda-task-shift': [...EVENTS, ...LAMBDA_LOOKUP, 'lambda:UpdateAlias', 'dynamodb:UpdateItem'],
  'vouch-lambda-task-promote': [...EVENTS, ...LAMBDA_LOOKUP, 'lambda:UpdateAlias', 'dynamodb:UpdateItem'],
  'vouch-lambda-task-rollback': [
    ...EVENTS,
    ...LAMBDA_LOOKUP,
    'lambda:UpdateAlias',
    'dynamodb:UpdateItem',
    'sns:Publish',
  ],
  'vouch-lambda-task-destroy': [
    ...EVENTS,
    'lambda:DeleteFunctionUrlConfig',
    'lambda:DeleteAlias',
    'scheduler:ListSchedules',
    'scheduler:DeleteSchedule',
    'cloudwatch:DescribeAlarms',
    'cloudwatch:DeleteAlarms',
  ],
  'vouch-lambda-task-judge': [...EVENTS, ...LAMBDA_LOOKUP, 'cloudwatch:GetMetricData'],
  // lambdas/adapters/aws/reconcile/deployedReconcile.ts: the build records, execution status, a run's
  // test environment destroyed as the destroy task does, lasting environments described (a Lambda
  // service's through its aliases), the topic.
  'vouch-reconciler': [
    'dynamodb:Query',
    'dynamodb:GetItem',
    'dynamodb:UpdateItem',
    'dynamodb:PutItem',
    'dynamodb:DeleteItem',
    'states:DescribeExecution',
    ...ELB_DESCRIBE,
    'ec2:TerminateInstances',
    'elasticloadbalancing:DeleteRule',
    'elasticloadbalancing:DeleteTargetGroup',
    'ec2:DescribeInstances',
    'scheduler:ListSchedules',
    'scheduler:DeleteSchedule',
    'cloudwatch:DescribeAlarms',
    'cloudwatch:DeleteAlarms',
    'lambda:GetAlias',
    'lambda:DeleteFunctionUrlConfig',
    'lambda:DeleteAlias',
    'sns:Publish',
  ],
  // lambdas/adapters/aws/sweeper/ec2Sweep.ts: running builds and SWEPT records, execution status,
  // a leftover test environment destroyed as the destroy task does (and with its grants a stopped
  // bake's builder, an orphaned bot schedule and orphaned alarms), AMIs and snapshots by their tag.
  'vouch-sweeper': [
    'dynamodb:Query',
    'dynamodb:PutItem',
    'states:DescribeExecution',
    'ec2:TerminateInstances',
    'elasticloadbalancing:DeleteRule',
    'elasticloadbalancing:DeleteTargetGroup',
    ...ELB_DESCRIBE,
    'ec2:DescribeInstances',
    'scheduler:DeleteSchedule',
    'scheduler:ListSchedules',
    'cloudwatch:DescribeAlarms',
    'cloudwatch:DeleteAlarms',
    // Bot schedules whose environment is gone: whose each is (its input).
    'scheduler:GetSchedule',
    // Alarms whose environment is gone: whose each is (its environment-id tag).
    'cloudwatch:ListTagsForResource',
    'ec2:DescribeImages',
    'ec2:DeregisterImage',
    'ec2:DeleteSnapshot',
    // A stopped run's canary in qa or prod: its lock's holder, then rolled back (EC2 or Lambda).
    'dynamodb:GetItem',
    'elasticloadbalancing:ModifyListener',
    'elasticloadbalancing:ModifyRule',
    'elasticloadbalancing:DeregisterTargets',
    'lambda:GetAlias',
    'lambda:UpdateAlias',
    // Lambda services' test aliases (with their URLs) and versions beyond the newest N.
    'lambda:ListAliases',
    'lambda:ListVersionsByFunction',
    'lambda:DeleteFunctionUrlConfig',
    'lambda:DeleteAlias',
    'lambda:DeleteFunction',
  ],
  // lib/platform/ControlEndpoint.ts: people's promote / abort / rollback (test/infra/controlEndpoint.test.ts).
  'vouch-control': [
    'dynamodb:Query',
    'dynamodb:GetItem',
    'dynamodb:UpdateItem',
    'dynamodb:PutItem',
    ...CW_READ,
    'states:SendTaskSuccess',
    'states:SendTaskFailure',
    'scheduler:DeleteSchedule',
    'states:DescribeExecution',
    'states:StopExecution',
  ],
  // lib/cost/CostCollector.ts (its own engineer's table): Cost Explorer, its metrics, its COST# items.
  'vouch-cost-collector': [
    'ce:GetCostAndUsage',
    'ce:ListCostAllocationTags',
    'ce:UpdateCostAllocationTagsStatus',
    'cloudwatch:PutMetricData',
    'dynamodb:PutItem',
  ],
  'vouch-notifier': [
    'secretsmanager:GetSecretValue',
    'dynamodb:GetItem',
    'dynamodb:UpdateItem',
    'cloudwatch:GetMetricWidgetImage',
    'sqs:SendMessage',
  ],
  // The deploy-time service registry (custom resource): UpdateItem of SERVICE# items only.
  'vouch-service-registry': ['dynamodb:UpdateItem'],
};

/** Actions whose API allows no resource-level permission: the only ones that may name `*`. */
const UNSCOPABLE = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'ec2:DescribeImages',
  'ec2:DescribeInstances',
  ...ELB_DESCRIBE,
  'elasticloadbalancing:DescribeTargetHealth',
  'cloudwatch:GetMetricData',
  'cloudwatch:GetMetricWidgetImage',
  // Task-token callbacks: no resource type; the token names the task.
  'states:SendTaskSuccess',
  'states:SendTaskFailure',
  // Cost Explorer defines no resource types; PutMetricData is narrowed by a cloudwatch:namespace condition.
  'ce:GetCostAndUsage',
  'ce:ListCostAllocationTags',
  'ce:UpdateCostAllocationTagsStatus',
  'cloudwatch:PutMetricData',
  'scheduler:ListSchedules',
]);

describe('platform stack: Lambdas', () => {
  it('has one Lambda per task type, one per event handler and the cost collector, nothing else', () => {
    // Act
    const names = [...functionsByService().keys()].sort();
    // Assess
    expect(names).toEqual(Object.keys(EXPECTED_ACTIONS).sort());
    expect(TASK_TYPES.every((t) => names.includes(`vouch-task-${t}`))).toBe(true);
  });

  it('runs every Lambda on nodejs22.x, ARM64, traced, with Powertools settings and its own log group', () => {
    for (const [service, fn] of functionsByService()) {
      expect(fn.props, service).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } },
        Environment: {
          Variables: expect.objectContaining({
            POWERTOOLS_SERVICE_NAME: service,
            POWERTOOLS_METRICS_NAMESPACE: 'Vouch',
            NODE_OPTIONS: '--enable-source-maps',
          }),
        },
      });
      const logGroup = (fn.props.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(vouch.platform.toJSON().Resources[logGroup].Properties.RetentionInDays, service).toBe(30);
    }
  });

  it.each(Object.entries(EXPECTED_ACTIONS))(
    '%s may call exactly what its handler calls',
    (service, actions) => {
      // Act
      const granted = [...permissionsOf(service).keys()].sort();
      // Assess
      expect(granted).toEqual([...new Set([...COMMON, ...actions])].sort());
    },
  );

  it('lets deploy switch on only the service stacks’ bot schedules, passing only their named roles', () => {
    for (const service of ['vouch-task-deploy', 'vouch-lambda-task-deploy']) {
      // Act
      const granted = permissionsOf(service);
      // Assess: one group per configured service (orders, orders-fn, catalog), no wildcard group.
      const groups = vouch.config.services.map(
        (s) =>
          `arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/vouch-${s.name}-bots/*`,
      );
      expect(granted.get('scheduler:GetSchedule'), service).toEqual(groups);
      expect(granted.get('scheduler:UpdateSchedule'), service).toEqual(groups);
      const passed = vouch.config.services.map(
        (s) =>
          `arn:<AWS::Partition>:iam::<AWS::AccountId>:role/vouch-${s.name}-bot-scheduler if {"StringEquals":{"iam:PassedToService":"scheduler.amazonaws.com"}}`,
      );
      expect(
        granted.get('iam:PassRole')?.filter((r) => r.includes('bot-scheduler')),
        service,
      ).toEqual(passed);
    }
  });

  it('lets provision tag only inside its CreateTargetGroup and CreateRule calls (elasticloadbalancing:CreateAction)', () => {
    // Act
    const addTags = permissionsOf('vouch-task-provision').get('elasticloadbalancing:AddTags') ?? [];
    // Assess
    expect(addTags).toHaveLength(2);
    expect(addTags.map((r) => r.replace(/^.* if /, '')).sort()).toEqual([
      JSON.stringify({ StringEquals: { 'elasticloadbalancing:CreateAction': 'CreateRule' } }),
      JSON.stringify({ StringEquals: { 'elasticloadbalancing:CreateAction': 'CreateTargetGroup' } }),
    ]);
  });

  it('grants the Lambda target and the bots lambda:* on the configured functions only: function:<name> and its qualifiers', () => {
    // Prepare
    const fns = vouch.config.services.flatMap((s) => (s.lambdaTarget ? [s.lambdaTarget.functionName] : []));
    expect(fns).toEqual(['orders-fn']);
    const arn = (suffix: string) =>
      `arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:orders-fn${suffix}`;
    for (const service of Object.keys(EXPECTED_ACTIONS)) {
      // Act
      for (const [action, resources] of permissionsOf(service)) {
        if (!action.startsWith('lambda:')) continue;
        // Assess
        expect(resources.sort(), `${service}: ${action}`).toEqual([arn(''), arn(':*')]);
      }
    }
  });

  it("runs the lambda-canary pipe's target tasks on the Lambda target's functions, the others on EC2", () => {
    // Prepare
    const machines = resourcesOf(vouch.platform, 'AWS::StepFunctions::StateMachine');
    const machine = (name: string) =>
      Object.values(machines).find((m) => props(m).StateMachineName === name) ?? {};
    const functionIdOf = (sub: unknown) => (sub as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0] ?? '';
    const serviceOf = (id: string) =>
      String(vouch.platform.toJSON().Resources[id].Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME);
    // Act
    const lambdaSubs = props(machine('vouch-lambda-canary')).DefinitionSubstitutions as Record<
      string,
      unknown
    >;
    const ec2Subs = props(machine('vouch-ec2-canary')).DefinitionSubstitutions as Record<string, unknown>;
    // Assess
    expect(serviceOf(functionIdOf(lambdaSubs.TaskFn_deploy))).toBe('vouch-lambda-task-deploy');
    expect(serviceOf(functionIdOf(lambdaSubs.TaskFn_verify))).toBe('vouch-task-verify');
    expect(serviceOf(functionIdOf(ec2Subs.TaskFn_deploy))).toBe('vouch-task-deploy');
    const env = (service: string) =>
      [...functionsByService()].find(([s]) => s === service)?.[1].props.Environment as {
        Variables: Record<string, string>;
      };
    expect(env('vouch-lambda-task-deploy').Variables.VOUCH_DEPLOY_TARGET).toBe('lambda');
    expect(JSON.parse(env('vouch-lambda-task-deploy').Variables.VOUCH_LAMBDA_FUNCTIONS ?? '')).toEqual({
      services: {
        'orders-fn': {
          functionName: 'orders-fn',
          team: 'checkout',
          solution: 'webshop',
          baseUrls: { qa: 'https://orders-fn-qa.example.com', prod: 'https://orders-fn.example.com' },
        },
      },
    });
    expect(env('vouch-task-deploy').Variables.VOUCH_DEPLOY_TARGET).toBe('ec2');
  });

  it('grants no wildcard action, and `*` resources only to APIs without resource-level permissions', () => {
    for (const service of Object.keys(EXPECTED_ACTIONS)) {
      for (const [action, resources] of permissionsOf(service)) {
        expect(action, service).not.toContain('*');
        if (resources.includes('*')) expect(UNSCOPABLE.has(action), `${service}: ${action} on *`).toBe(true);
      }
    }
  });

  it('scopes table, instance, target group and listener actions to Vouch resources', () => {
    // Prepare
    const table = flattenCfnReference(
      vouch.stacks.platform.resolve(vouch.stacks.platform.buildTable.table.tableArn),
    );
    const target = vouch.config.platform.ec2Target;
    // Act
    const deploy = permissionsOf('vouch-task-deploy');
    const destroy = permissionsOf('vouch-task-destroy');
    const lock = permissionsOf('vouch-task-lock');
    // Assess
    expect(lock.get('dynamodb:PutItem')).toEqual([table]);
    const webhook = permissionsOf('vouch-webhook');
    for (const action of [
      'dynamodb:PutItem',
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    ]) {
      expect(webhook.get(action), action).toEqual([
        `${table} if {"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["WEBHOOK#*"]}}`,
      ]);
    }
    expect(destroy.get('ec2:TerminateInstances')).toEqual([
      'arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/* if {"Null":{"aws:ResourceTag/vouch:image-id":"false"}}',
    ]);
    expect(destroy.get('elasticloadbalancing:DeleteTargetGroup')).toEqual([
      'arn:<AWS::Partition>:elasticloadbalancing:<AWS::Region>:<AWS::AccountId>:targetgroup/*/* if {"Null":{"aws:ResourceTag/vouch:environment-id":"false"}}',
    ]);
    expect(deploy.get('elasticloadbalancing:ModifyListener')).toEqual([target?.listenerArn]);
    expect(deploy.get('elasticloadbalancing:ModifyRule')).toEqual([
      `${target?.listenerArn.replace(':listener/', ':listener-rule/')}/*`,
    ]);
    expect(deploy.get('iam:PassRole')?.filter((r) => !r.includes('bot-scheduler'))).toEqual([
      `${target?.instanceRoleArn} if {"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"}}`,
      `${flattenCfnReference(vouch.stacks.platform.resolve(vouch.stacks.platform.runBots.role.roleArn))} if {"StringEquals":{"iam:PassedToService":"scheduler.amazonaws.com"}}`,
    ]);
    expect(deploy.get('scheduler:CreateSchedule')).toEqual([
      'arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/vouch-run-bots/*',
    ]);
    expect(destroy.get('scheduler:DeleteSchedule')).toEqual([
      'arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/vouch-run-bots/*',
    ]);
    expect(permissionsOf('vouch-alarm-event').get('scheduler:DeleteSchedule')).toEqual([
      'arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/vouch-windows/*',
    ]);
    expect(deploy.get('ec2:RunInstances')).toContain(
      `arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:launch-template/${target?.launchTemplateId}`,
    );
    expect(permissionsOf('vouch-task-build').get('codebuild:StartBuild')).toEqual([
      'arn:<AWS::Partition>:codebuild:<AWS::Region>:<AWS::AccountId>:project/vouch-*',
    ]);
    expect(permissionsOf('vouch-task-decide').get('cloudwatch:DescribeAlarms')).toEqual([
      'arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:vouch.*',
    ]);
    expect(permissionsOf('vouch-task-verify').get('scheduler:CreateSchedule')).toEqual([
      'arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/vouch-windows/*',
    ]);
    // Defect 5: snapshot ARNs have no account part, and CreateImage tags the snapshots it creates.
    const bake = permissionsOf('vouch-task-bake');
    const snapshots = 'arn:<AWS::Partition>:ec2:<AWS::Region>::snapshot/*';
    expect(bake.get('ec2:CreateImage')).toContain(snapshots);
    expect(bake.get('ec2:CreateTags')).toContain(
      `${snapshots} if {"StringEquals":{"ec2:CreateAction":"CreateImage"}}`,
    );
    expect(JSON.stringify([...bake.values()])).not.toContain(':<AWS::AccountId>:snapshot/');
    // SendTask* define no resource type (IAM service authorization reference): IAM checks `*`, and a
    // grant on the state machines would never match (the twin's policy simulator showed AccessDenied).
    expect(permissionsOf('vouch-window-end').get('states:SendTaskSuccess')).toEqual(['*']);
  });

  it('references secrets by name only: no secret value and no secret resource in the template', () => {
    // Prepare
    const text = JSON.stringify(vouch.platform.toJSON());
    // Assess
    expect(Object.keys(resourcesOf(vouch.platform, 'AWS::SecretsManager::Secret'))).toEqual([]);
    expect(permissionsOf('vouch-webhook').get('secretsmanager:GetSecretValue')).toEqual([
      'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:vouch/webhook-secret-??????',
      'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:vouch/git-token-??????',
    ]);
    // CodeBuild's GitHub credential is a dynamic reference CloudFormation resolves at deploy time.
    vouch.platform.hasResourceProperties('AWS::CodeBuild::SourceCredential', {
      ServerType: 'GITHUB',
      Token: '{{resolve:secretsmanager:vouch/git-token:SecretString:::}}',
    });
    expect(text).not.toMatch(/xox[bp]-|ghp_|github_pat_/);
  });
});

describe('platform stack: state machines', () => {
  it('deploys one Standard state machine per flavour, logging ALL with execution data, traced', () => {
    for (const flavour of vouch.flavours.keys()) {
      vouch.platform.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineName: `vouch-${flavour}`,
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
      });
    }
    expect(Object.keys(resourcesOf(vouch.platform, 'AWS::StepFunctions::StateMachine'))).toHaveLength(
      vouch.flavours.size,
    );
  });

  it("deploys exactly the compiler's ASL, each TaskFn_<type> placeholder filled with the ARN of that type's Lambda", () => {
    // Prepare: logical id of each task type's Lambda.
    const lambdaOf = (prefix: string) =>
      new Map(
        [...functionsByService()]
          .filter(([service]) => service.startsWith(prefix))
          .map(([service, fn]) => [service.slice(prefix.length), fn.id]),
      );
    const ec2Tasks = lambdaOf('vouch-task-');
    // lambda-canary's target tasks are the Lambda target's functions, its other tasks the shared ones.
    const lambdaTasks = new Map([...ec2Tasks, ...lambdaOf('vouch-lambda-task-')]);
    const machines = Object.values(resourcesOf(vouch.platform, 'AWS::StepFunctions::StateMachine'));
    for (const [flavour, compiled] of vouch.flavours) {
      const machine = machines.find((m) => props(m).StateMachineName === `vouch-${flavour}`);
      const substitutions = props(machine ?? {}).DefinitionSubstitutions as Record<
        string,
        { 'Fn::GetAtt': string[] }
      >;
      // Act: resolve the substitutions as CloudFormation would, into a marker per Lambda.
      const deployed = JSON.parse(
        String(props(machine ?? {}).DefinitionString).replace(/\$\{(\w+)\}/g, (_, key: string) => {
          const ref = substitutions[key]?.['Fn::GetAtt'];
          expect(ref?.[1], key).toBe('Arn');
          return `arn-of:${ref?.[0]}`;
        }),
      );
      const expected = JSON.parse(
        JSON.stringify(compiled).replace(
          /\$\{TaskFn_(\w+)\}/g,
          (_, type: string) => `arn-of:${(flavour === 'lambda-canary' ? lambdaTasks : ec2Tasks).get(type)}`,
        ),
      );
      // Assess
      expect(deployed, flavour).toEqual(expected);
      expect(JSON.stringify(deployed)).not.toContain('arn-of:undefined');
    }
  });

  it('lets each state machine invoke exactly the Lambdas its definition names', () => {
    const machines = Object.values(resourcesOf(vouch.platform, 'AWS::StepFunctions::StateMachine'));
    for (const machine of machines) {
      const role = (props(machine).RoleArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0] ?? '';
      const invoke = statementsOfRole(vouch.platform, role).filter((s) =>
        asArray(s.Action).includes('lambda:InvokeFunction'),
      );
      const substitutions = Object.values(props(machine).DefinitionSubstitutions as Record<string, unknown>);
      // As sets: IAM statement resources come in whatever order CDK merged them.
      const byJson = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));
      expect(invoke.flatMap((s) => asArray(s.Resource)).sort(byJson)).toEqual(
        [...substitutions].sort(byJson),
      );
    }
  });
});

describe('platform stack: data, events and endpoints', () => {
  it('creates the build table from BUILD_TABLE_SCHEMA with PITR, encryption and TTL', () => {
    vouch.platform.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: BUILD_TABLE_SCHEMA.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: BUILD_TABLE_SCHEMA.sortKey.name, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: BUILD_TABLE_SCHEMA.timeToLiveAttribute, Enabled: true },
      GlobalSecondaryIndexes: BUILD_TABLE_SCHEMA.globalSecondaryIndexes.map((index) =>
        Match.objectLike({
          IndexName: index.indexName,
          KeySchema: [
            { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
            { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        }),
      ),
    });
  });

  it('serves POST /webhook on a throttled, logged HTTP API stage', () => {
    vouch.platform.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /webhook' });
    vouch.platform.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      AccessLogSettings: { DestinationArn: Match.anyValue() },
    });
  });

  it("sends state changes of Vouch's alarms to the alarmEvent Lambda", () => {
    const alarmEvent = functionsByService().get('vouch-alarm-event')?.id;
    vouch.platform.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { alarmName: [{ prefix: 'vouch.' }] },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [alarmEvent, 'Arn'] } })],
    });
  });

  it('gives verify the schedule group, the window-end Lambda and the role Scheduler assumes to invoke it', () => {
    const fns = functionsByService();
    const verifyEnv = (
      propsOf({ Properties: fns.get('vouch-task-verify')?.props }).Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
    vouch.platform.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: 'vouch-windows' });
    expect(verifyEnv).toMatchObject({
      VOUCH_WINDOW_SCHEDULE_GROUP: 'vouch-windows',
      VOUCH_WINDOW_END_FUNCTION_ARN: { 'Fn::GetAtt': [fns.get('vouch-window-end')?.id, 'Arn'] },
      VOUCH_WINDOW_END_ROLE_ARN: { 'Fn::GetAtt': [expect.stringMatching(/^WindowEndSchedulingRole/), 'Arn'] },
    });
    vouch.platform.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' } })],
      },
    });
  });

  it('runs the reconciler on a schedule, with the services, their environments and each flavour’s state machine', () => {
    const fns = functionsByService();
    const reconciler = fns.get('vouch-reconciler');
    vouch.platform.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(5 minutes)',
      Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [reconciler?.id, 'Arn'] } }),
    });
    const env = (
      propsOf({ Properties: reconciler?.props }).Environment as { Variables: Record<string, unknown> }
    ).Variables;
    const registry = parseReconcileRegistry(String(env.VOUCH_SERVICE_PIPES));
    expect(registry.find((s) => s.service === 'orders')).toEqual({
      service: 'orders',
      team: 'checkout',
      flavour: 'ec2-canary',
      environments: [
        { name: 'test', ephemeral: true },
        { name: 'qa', ephemeral: false },
        { name: 'prod', ephemeral: false },
      ],
    });
    expect(JSON.stringify(env.VOUCH_STATE_MACHINES)).toContain('ec2-canary');
    // A lambda-canary service's environments are its function's aliases: the reconciler asks them.
    expect(JSON.parse(String(env.VOUCH_LAMBDA_FUNCTIONS)).services['orders-fn']).toMatchObject({
      functionName: 'orders-fn',
    });
    // Execution status on the pipeline state machines' executions only.
    const describe = [...permissionsOf('vouch-reconciler').entries()].find(
      ([a]) => a === 'states:DescribeExecution',
    )?.[1];
    expect(JSON.stringify(describe)).toMatch(/execution:vouch-ec2-canary:\*/);
  });

  it('runs the sweeper every hour with keepImages from the config, deleting only AMIs and snapshots bake tagged', () => {
    const sweeper = functionsByService().get('vouch-sweeper');
    vouch.platform.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 hour)',
      Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [sweeper?.id, 'Arn'] } }),
    });
    const env = (
      propsOf({ Properties: sweeper?.props }).Environment as { Variables: Record<string, unknown> }
    ).Variables;
    expect(env).toMatchObject({ VOUCH_SWEEP_KEEP_IMAGES: '3', VOUCH_SWEEP_GRACE_MINUTES: '15' });
    const tagged = ` if ${JSON.stringify({ Null: { 'aws:ResourceTag/vouch:image-id': 'false' } })}`;
    const permissions = permissionsOf('vouch-sweeper');
    expect(permissions.get('ec2:DeregisterImage')).toEqual([
      `arn:<AWS::Partition>:ec2:<AWS::Region>::image/*${tagged}`,
      `arn:<AWS::Partition>:ec2:<AWS::Region>::snapshot/*${tagged}`,
    ]);
    expect(permissions.get('ec2:DeleteSnapshot')).toEqual(permissions.get('ec2:DeregisterImage'));
    // It reads and deletes only per-run bot schedules (the run-bots group), never a service stack's.
    expect(permissions.get('scheduler:GetSchedule')).toEqual(permissions.get('scheduler:DeleteSchedule'));
    expect(JSON.stringify(permissions.get('scheduler:GetSchedule'))).toMatch(
      /schedule\/vouch-run-bots\/\*"\]$/,
    );
    // It reads the tags of, and deletes, only per-run alarms (vouch.<service>.<test env>-<run>.<signal>),
    // never a lasting environment's.
    const runAlarms = ['arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:vouch.*.test-*'];
    expect(permissions.get('cloudwatch:ListTagsForResource')).toEqual(runAlarms);
    expect(permissions.get('cloudwatch:DeleteAlarms')).toEqual(runAlarms);
    expect(permissions.get('cloudwatch:DescribeAlarms')).toEqual(runAlarms);
    // Its table writes stay in the services' partitions (SWEPT records); it reads only locks.
    expect(JSON.stringify(permissions.get('dynamodb:PutItem'))).toContain('SERVICE#*');
    expect(JSON.stringify(permissions.get('dynamodb:GetItem'))).toContain('LOCK#*#*');
    // The Lambda services' functions, as the Lambda target's tasks are told them.
    expect(JSON.parse(String(env.VOUCH_LAMBDA_FUNCTIONS))).toMatchObject({
      services: { 'orders-fn': { functionName: 'orders-fn' } },
    });
  });

  it('lets provision create, and destroy and the reconciler delete, only per-run alarms of ephemeral environments', () => {
    const runAlarms = 'arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:vouch.*.test-*';
    expect(permissionsOf('vouch-task-provision').get('cloudwatch:PutMetricAlarm')).toEqual([runAlarms]);
    expect(permissionsOf('vouch-task-provision').get('cloudwatch:TagResource')).toEqual([runAlarms]);
    for (const fn of ['vouch-task-destroy', 'vouch-reconciler'])
      expect(permissionsOf(fn).get('cloudwatch:DeleteAlarms'), fn).toEqual([runAlarms]);
  });

  it('publishes notifications on an encrypted, TLS-only topic to the notifier, whose failures land in a queue', () => {
    const notifier = functionsByService().get('vouch-notifier');
    vouch.platform.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    vouch.platform.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ],
      },
    });
    vouch.platform.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      Endpoint: { 'Fn::GetAtt': [notifier?.id, 'Arn'] },
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue() },
    });
    vouch.platform.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: notifier?.id },
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
    expect(notifier?.props.Timeout).toBe(240);
  });
});

describe('platform stack: artifacts', () => {
  const bucketId = () => {
    const ids = Object.keys(resourcesOf(vouch.platform, 'AWS::S3::Bucket'));
    expect(ids).toHaveLength(1);
    return ids[0] as string;
  };

  it('keeps build artifacts in one private, SSE-S3, expiring bucket named by account and region', () => {
    vouch.platform.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BucketName: {
          'Fn::Join': ['', ['vouch-artifacts-', { Ref: 'AWS::AccountId' }, '-', { Ref: 'AWS::Region' }]],
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LifecycleConfiguration: {
          Rules: [Match.objectLike({ Status: 'Enabled', ExpirationInDays: 30 })],
        },
        VersioningConfiguration: Match.absent(),
      }),
    });
  });

  it('refuses plain HTTP and lets only the EC2 target instance role fetch artifacts', () => {
    const instanceRole = vouch.config.platform.ec2Target?.instanceRoleArn;
    expect(instanceRole).toBeDefined();
    const policies = Object.values(resourcesOf(vouch.platform, 'AWS::S3::BucketPolicy'));
    expect(policies).toHaveLength(1);
    const statements = (propsOf(policies[0]).PolicyDocument as { Statement: Record<string, unknown>[] })
      .Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    const allows = statements.filter((st) => st.Effect === 'Allow');
    expect(allows).toEqual([
      expect.objectContaining({
        Action: 's3:GetObject',
        Principal: { AWS: instanceRole },
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId(), 'Arn'] }, '/*']] },
      }),
    ]);
  });

  it('names the bucket to build, test and bake, and to no other Lambda', () => {
    const named = [...functionsByService()]
      .filter(([, fn]) => {
        const env = (fn.props.Environment as { Variables: Record<string, unknown> }).Variables;
        return RUNTIME_ENV.artifactBucket in env;
      })
      .map(([service, fn]) => {
        const env = (fn.props.Environment as { Variables: Record<string, unknown> }).Variables;
        expect(env[RUNTIME_ENV.artifactBucket]).toEqual({ Ref: bucketId() });
        return service;
      });
    expect(named.sort()).toEqual([
      'vouch-lambda-task-bake',
      'vouch-task-bake',
      'vouch-task-build',
      'vouch-task-test',
    ]);
  });
});

describe('platform stack: cost', () => {
  it('runs the cost collector on a schedule and gives every team its cost dashboard', () => {
    expect(functionsByService().has('vouch-cost-collector')).toBe(true);
    for (const team of vouch.config.teams) {
      vouch.platform.hasResourceProperties('AWS::CloudWatch::Dashboard', {
        DashboardName: `vouch-cost-${team.name}`,
      });
    }
    vouch.platform.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: Match.stringLikeRegexp('^cron\\('),
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CostCollector'), 'Arn'] } }),
      ],
    });
  });
});
