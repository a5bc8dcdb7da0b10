import type { App } from 'aws-cdk-lib';
import { MissingPrerequisiteError, StackDefinitionError } from '../config/errors.ts';
import { LAMBDA_FLAVOUR, type PlatformConfig } from '../config/platformConfig.ts';
import { placeholdersOf } from '../platform/PipelineStateMachine.ts';
import { PlatformStack, TARGET_TASK_TYPES } from '../platform/PlatformStack.ts';
import { ServiceStack, type ServiceStackProps } from '../service/ServiceStack.ts';

export interface VouchAppOptions {
  readonly config: PlatformConfig;
  /** The compiler's ASL of each shipped flavour, by name. */
  readonly flavours: ReadonlyMap<string, object>;
  /** Bundle the Lambdas (see PlatformStack). @default true */
  readonly bundle?: boolean;
  /** Prefix of the stack names. @default Vouch */
  readonly stackPrefix?: string;
}

export interface VouchStacks {
  readonly platform: PlatformStack;
  readonly services: ReadonlyMap<string, ServiceStack>;
}

/**
 * The whole Vouch deployment in `app`: the platform stack and one stack per configured service.
 * Stacks are environment-agnostic (no account or region lookups), so `cdk synth` runs offline.
 */
export function buildVouchApp(app: App, options: VouchAppOptions): VouchStacks {
  const prefix = options.stackPrefix ?? 'Vouch';
  const platform = new PlatformStack(app, prefix, {
    description: 'Vouch: continuous validation platform (pipelines, build data, evidence, notifications)',
    config: options.config,
    flavours: options.flavours,
    bundle: options.bundle ?? true,
  });
  const botFunction = platform.handlers.get('bot')?.function;
  if (botFunction === undefined) throw new StackDefinitionError('the platform stack has no bot Lambda');
  const routing = lastingEnvironmentRouting(options);
  const services = new Map<string, ServiceStack>();
  for (const service of options.config.services) {
    const serviceRouting = routing.get(service.name);
    const stack = new ServiceStack(app, `${prefix}-${service.name}`, {
      description: `Vouch: bots, alarms, dashboard, build project and routing of ${service.name}`,
      service,
      botFunction,
      buildTableArn: platform.buildTable.table.tableArn,
      ...(serviceRouting ? { routing: serviceRouting } : {}),
    });
    stack.addStackDependency(platform);
    services.set(service.name, stack);
  }
  return { platform, services };
}

/** The flavours whose pipes use a task type in `types`. */
function flavoursUsing(flavours: ReadonlyMap<string, object>, types: readonly string[]): Set<string> {
  const keys = new Set(types.map((t) => `TaskFn_${t}`));
  return new Set(
    [...flavours].filter(([, asl]) => placeholdersOf(asl).some((k) => keys.has(k))).map(([name]) => name),
  );
}

/**
 * The routing of every lasting environment of a deploying service, with a listener rule priority each:
 * 1, 2, 3, ... in config order, below the ephemeral rules' floor. A deploying service without
 * `platform.ec2Target` fails synth, naming what to set.
 */
function lastingEnvironmentRouting(
  options: VouchAppOptions,
): Map<string, NonNullable<ServiceStackProps['routing']>> {
  const onTarget = flavoursUsing(options.flavours, TARGET_TASK_TYPES);
  const deploying = flavoursUsing(options.flavours, ['deploy']);
  const target = options.config.platform.ec2Target;
  const out = new Map<string, NonNullable<ServiceStackProps['routing']>>();
  let priority = 0;
  for (const service of options.config.services) {
    // A Lambda service's environments are its function's aliases (ServiceStack's LambdaAliases).
    if (!onTarget.has(service.flavour) || service.flavour === LAMBDA_FLAVOUR) continue;
    if (target === undefined) {
      throw new MissingPrerequisiteError(
        `service ${service.name} uses flavour ${service.flavour}, which bakes or deploys on EC2 behind an ALB, but platform.ec2Target is not set: give vpcId, loadBalancerArn, listenerArn, loadBalancerDnsName, testDomain, launchTemplateId, baseImageId and instanceRoleArn of resources in your account`,
      );
    }
    if (!deploying.has(service.flavour)) continue;
    const priorities: Record<string, number> = {};
    for (const environment of service.environments.filter((e) => !e.ephemeral)) {
      priority += 1;
      if (priority >= target.rulePriorityFloor) {
        throw new MissingPrerequisiteError(
          `listener rule priority ${priority} of ${service.name}/${environment.name} reaches platform.ec2Target.rulePriorityFloor (${target.rulePriorityFloor}), where ephemeral environments' rules start: raise the floor`,
        );
      }
      priorities[environment.name] = priority;
    }
    out.set(service.name, {
      vpcId: target.vpcId,
      listenerArn: target.listenerArn,
      servicePort: target.servicePort,
      priorities,
    });
  }
  return out;
}
