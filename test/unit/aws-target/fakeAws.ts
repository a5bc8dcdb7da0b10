/**
 * A small stateful stand-in for the EC2 and ALB calls the target makes, behind aws-sdk-client-mock:
 * what one call creates or changes, the next describe sees. Tests assert the calls with the
 * aws-sdk-client-mock-vitest matchers and read `log` for the order across both clients.
 */
import {
  CreateImageCommand,
  CreateTagsCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  type Action,
  AddTagsCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteRuleCommand,
  DeleteTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
  ModifyTargetGroupCommand,
  RegisterTargetsCommand,
  type RuleCondition,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import type { Ec2TargetConfigInput } from '../../../lambdas/adapters/aws/target/config.ts';

export const LISTENER_ARN =
  'arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/app/shared/50dc6c495c0c9188/f2f7dc8efc522ab2';

export const CONFIG: Ec2TargetConfigInput = {
  vpcId: 'vpc-0abc',
  loadBalancerArn:
    'arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/shared/50dc6c495c0c9188',
  listenerArn: LISTENER_ARN,
  testDomain: 'test.example.com',
  loadBalancerDnsName: 'shared-123.eu-west-1.elb.amazonaws.com',
  launchTemplateId: 'lt-0service',
  baseImageId: 'ami-0base',
  waits: {
    builderStopped: { delayMs: 1, maxAttempts: 3 },
    imageAvailable: { delayMs: 1, maxAttempts: 3 },
    instancesRunning: { delayMs: 1, maxAttempts: 3 },
    targetsHealthy: { delayMs: 1, maxAttempts: 3 },
  },
};

export const TAGS = { service: 'orders', team: 'checkout', solution: 'shop' } as const;

type Tags = Record<string, string>;
const tagList = (tags: Tags) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
const fromList = (list: { Key?: string; Value?: string }[] | undefined): Tags =>
  Object.fromEntries((list ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

export interface FakeInstance {
  id: string;
  state: string;
  imageId: string;
  tags: Tags;
  ip: string;
}

export interface FakeImage {
  id: string;
  state: string;
  tags: Tags;
}

export interface FakeGroup {
  arn: string;
  name: string;
  healthCheckPath: string;
  tags: Tags;
  targets: string[];
}

export interface FakeRule {
  arn: string;
  priority: string;
  isDefault: boolean;
  conditions: RuleCondition[];
  actions: Action[];
  tags: Tags;
}

export interface FakeAwsOptions {
  /** State a launched instance reports: `running` unless a test wants a slow one. */
  launchState?: string;
  /** State a builder reports once launched (it powers itself off when its script is done). */
  builderState?: string;
  /** Target health reported for registered targets. */
  health?: string;
  /** State an image reports after CreateImage. */
  imageState?: string;
}

export function fakeAws(options: FakeAwsOptions = {}) {
  const ec2 = mockClient(EC2Client);
  const elb = mockClient(ElasticLoadBalancingV2Client);
  const log: string[] = [];
  const instances: FakeInstance[] = [];
  const images: FakeImage[] = [];
  const groups: FakeGroup[] = [];
  const rules: FakeRule[] = [
    {
      arn: `${LISTENER_ARN.replace(':listener/', ':listener-rule/')}/default`,
      priority: 'default',
      isDefault: true,
      conditions: [],
      actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }],
      tags: {},
    },
  ];
  let seq = 0;
  const next = (prefix: string) => `${prefix}${(++seq).toString(16).padStart(8, '0')}`;

  // ---- EC2
  ec2.on(RunInstancesCommand).callsFake((input) => {
    log.push('RunInstances');
    const spec = (input.TagSpecifications ?? []).find(
      (s: { ResourceType: string }) => s.ResourceType === 'instance',
    );
    const tags = fromList(spec?.Tags);
    const builder = tags['vouch:role'] === 'builder';
    const launched: FakeInstance[] = [];
    for (let n = 0; n < (input.MinCount ?? 1); n++) {
      const instance = {
        id: next('i-'),
        state: builder ? (options.builderState ?? 'stopped') : (options.launchState ?? 'running'),
        imageId: input.ImageId,
        tags,
        ip: `10.0.0.${seq}`,
      };
      instances.push(instance);
      launched.push(instance);
    }
    return { Instances: launched.map((i) => ({ InstanceId: i.id })) };
  });
  ec2.on(DescribeInstancesCommand).callsFake((input) => {
    let found = instances;
    if (input.InstanceIds) found = found.filter((i) => input.InstanceIds.includes(i.id));
    for (const filter of input.Filters ?? []) {
      const values: string[] = filter.Values;
      if (filter.Name === 'instance-state-name') found = found.filter((i) => values.includes(i.state));
      else if (filter.Name.startsWith('tag:')) {
        const key = filter.Name.slice(4);
        found = found.filter((i) => values.includes(i.tags[key] ?? ''));
      }
    }
    return {
      Reservations: [
        {
          Instances: found.map((i) => ({
            InstanceId: i.id,
            ImageId: i.imageId,
            State: { Name: i.state },
            Tags: tagList(i.tags),
            PrivateIpAddress: i.ip,
            LaunchTime: new Date('2026-01-01T00:00:00Z'),
          })),
        },
      ],
    };
  });
  ec2.on(TerminateInstancesCommand).callsFake((input) => {
    log.push(`TerminateInstances:${input.InstanceIds.join(',')}`);
    for (const instance of instances)
      if (input.InstanceIds.includes(instance.id)) instance.state = 'terminated';
    return {};
  });
  ec2.on(CreateTagsCommand).callsFake((input) => {
    log.push('CreateTags');
    for (const instance of instances) {
      if (input.Resources.includes(instance.id)) Object.assign(instance.tags, fromList(input.Tags));
    }
    return {};
  });
  ec2.on(CreateImageCommand).callsFake((input) => {
    log.push('CreateImage');
    const spec = (input.TagSpecifications ?? []).find(
      (s: { ResourceType: string }) => s.ResourceType === 'image',
    );
    const image = { id: next('ami-'), state: options.imageState ?? 'available', tags: fromList(spec?.Tags) };
    images.push(image);
    return { ImageId: image.id };
  });
  ec2.on(DescribeImagesCommand).callsFake((input) => {
    let found = images;
    if (input.ImageIds) found = found.filter((i) => input.ImageIds.includes(i.id));
    for (const filter of input.Filters ?? []) {
      const key = String(filter.Name).slice(4);
      found = found.filter((i) => filter.Values.includes(i.tags[key] ?? ''));
    }
    return {
      Images: found.map((i) => ({
        ImageId: i.id,
        State: i.state,
        Tags: tagList(i.tags),
        CreationDate: '2026-01-01T00:00:00.000Z',
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 8 } }],
      })),
    };
  });

  // ---- ALB
  elb.on(CreateTargetGroupCommand).callsFake((input) => {
    log.push('CreateTargetGroup');
    let group = groups.find((g) => g.name === input.Name);
    if (!group) {
      group = {
        arn: `arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/${input.Name}/${next('')}`,
        name: input.Name,
        healthCheckPath: input.HealthCheckPath,
        tags: fromList(input.Tags),
        targets: [],
      };
      groups.push(group);
    }
    return { TargetGroups: [{ TargetGroupArn: group.arn, TargetGroupName: group.name }] };
  });
  elb.on(DescribeTargetGroupsCommand).callsFake((input) => {
    let found = groups;
    if (input.Names) {
      found = groups.filter((g) => input.Names.includes(g.name));
      if (found.length === 0) {
        throw new TargetGroupNotFoundException({
          message: 'One or more target groups not found',
          $metadata: {},
        });
      }
    }
    return {
      TargetGroups: found.map((g) => ({
        TargetGroupArn: g.arn,
        TargetGroupName: g.name,
        HealthCheckPath: g.healthCheckPath,
      })),
    };
  });
  elb.on(DescribeTagsCommand).callsFake((input) => {
    if (input.ResourceArns.length > 20) throw new Error('DescribeTags takes at most 20 ARNs');
    const all = [...groups, ...rules];
    return {
      TagDescriptions: input.ResourceArns.map((arn: string) => ({
        ResourceArn: arn,
        Tags: tagList(all.find((r) => r.arn === arn)?.tags ?? {}),
      })),
    };
  });
  elb.on(AddTagsCommand).callsFake((input) => {
    log.push(`AddTags:${fromList(input.Tags)['vouch:slot']}`);
    for (const group of groups)
      if (input.ResourceArns.includes(group.arn)) Object.assign(group.tags, fromList(input.Tags));
    return {};
  });
  elb.on(CreateRuleCommand).callsFake((input) => {
    log.push('CreateRule');
    const rule = {
      arn: `${LISTENER_ARN.replace(':listener/', ':listener-rule/')}/${next('')}`,
      priority: String(input.Priority),
      isDefault: false,
      conditions: input.Conditions,
      actions: input.Actions,
      tags: fromList(input.Tags),
    };
    rules.push(rule);
    return { Rules: [{ RuleArn: rule.arn }] };
  });
  elb.on(DescribeRulesCommand).callsFake(() => ({
    Rules: rules.map((r) => ({
      RuleArn: r.arn,
      Priority: r.priority,
      IsDefault: r.isDefault,
      Conditions: r.conditions,
      Actions: r.actions,
    })),
  }));
  elb.on(ModifyRuleCommand).callsFake((input) => {
    log.push('ModifyRule');
    const rule = rules.find((r) => r.arn === input.RuleArn);
    if (rule) rule.actions = input.Actions;
    return {};
  });
  elb.on(ModifyListenerCommand).callsFake((input) => {
    log.push('ModifyListener');
    const rule = rules.find((r) => r.isDefault);
    if (rule) rule.actions = input.DefaultActions;
    return {};
  });
  elb.on(DeleteRuleCommand).callsFake((input) => {
    log.push('DeleteRule');
    rules.splice(
      rules.findIndex((r) => r.arn === input.RuleArn),
      1,
    );
    return {};
  });
  elb.on(DeleteTargetGroupCommand).callsFake((input) => {
    log.push('DeleteTargetGroup');
    if (
      rules.some((r) =>
        r.actions.some((a) =>
          (a.ForwardConfig?.TargetGroups ?? []).some((t) => t.TargetGroupArn === input.TargetGroupArn),
        ),
      )
    ) {
      throw new Error('ResourceInUse: target group is used by a rule');
    }
    groups.splice(
      groups.findIndex((g) => g.arn === input.TargetGroupArn),
      1,
    );
    return {};
  });
  elb.on(ModifyTargetGroupCommand).callsFake((input) => {
    log.push('ModifyTargetGroup');
    const group = groups.find((g) => g.arn === input.TargetGroupArn);
    if (group) group.healthCheckPath = input.HealthCheckPath;
    return {};
  });
  elb.on(RegisterTargetsCommand).callsFake((input) => {
    log.push('RegisterTargets');
    const group = groups.find((g) => g.arn === input.TargetGroupArn);
    group?.targets.push(...input.Targets.map((t: { Id: string }) => t.Id));
    return {};
  });
  elb.on(DeregisterTargetsCommand).callsFake((input) => {
    log.push(`DeregisterTargets:${input.Targets.map((t: { Id: string }) => t.Id).join(',')}`);
    const group = groups.find((g) => g.arn === input.TargetGroupArn);
    if (group)
      group.targets = group.targets.filter((id) => !input.Targets.some((t: { Id: string }) => t.Id === id));
    return {};
  });
  elb.on(DescribeTargetHealthCommand).callsFake((input) => ({
    TargetHealthDescriptions: input.Targets.map((t: { Id: string }) => ({
      Target: { Id: t.Id },
      TargetHealth: { State: options.health ?? 'healthy' },
    })),
  }));

  /** A lasting environment as the CDK stack would make it: two tagged groups and a host rule. */
  function lastingEnvironment(id: string, canaryWeight = 0, host = 'orders.qa.example.com') {
    const [service, name] = id.split('.');
    const make = (slot: string, suffix: string): FakeGroup => ({
      arn: `arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/${service}-${name}-${suffix}/${next('')}`,
      name: `${service}-${name}-${suffix}`,
      healthCheckPath: '/health',
      tags: { ...TAGS, environment: name ?? '', 'vouch:environment-id': id, 'vouch:slot': slot },
      targets: [],
    });
    const baseline = make('baseline', 'blue');
    const canary = make('canary', 'green');
    groups.push(baseline, canary);
    rules.push({
      arn: `${LISTENER_ARN.replace(':listener/', ':listener-rule/')}/${next('')}`,
      priority: '10',
      isDefault: false,
      conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: [host] } }],
      actions: [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: baseline.arn, Weight: 100 - canaryWeight },
              { TargetGroupArn: canary.arn, Weight: canaryWeight },
            ],
          },
        },
      ],
      tags: {},
    });
    return { baseline, canary };
  }

  /** An instance already running in a slot, as an earlier deploy left it. */
  function runningInstance(environmentId: string, slot: string, version: string): FakeInstance {
    const instance = {
      id: next('i-'),
      state: 'running',
      imageId: 'ami-0old',
      tags: {
        ...TAGS,
        'vouch:environment-id': environmentId,
        'vouch:slot': slot,
        version,
        'vouch:image-id': `img-${version}`,
      },
      ip: `10.0.1.${seq}`,
    };
    instances.push(instance);
    return instance;
  }

  function availableImage(imageId: string, tags: Tags = {}): FakeImage {
    const image = {
      id: next('ami-'),
      state: 'available',
      tags: { ...TAGS, 'vouch:image-id': imageId, ...tags },
    };
    images.push(image);
    return image;
  }

  /** Canary weight as the forward action of a rule now says. */
  function weightsOf(ruleHost: string): Record<string, number> {
    const rule = rules.find((r) => r.conditions.some((c) => c.HostHeaderConfig?.Values?.includes(ruleHost)));
    const forward = rule?.actions.find((a) => a.Type === 'forward');
    return Object.fromEntries(
      (forward?.ForwardConfig?.TargetGroups ?? []).map((t) => [t.TargetGroupArn, t.Weight]),
    );
  }

  return {
    ec2,
    elb,
    log,
    instances,
    images,
    groups,
    rules,
    lastingEnvironment,
    runningInstance,
    availableImage,
    weightsOf,
  };
}

export const noSleep = async (): Promise<void> => {};
