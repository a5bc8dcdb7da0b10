import type { App } from 'aws-cdk-lib';
import type { PlatformConfig } from '../config/platformConfig.ts';
import { PlatformStack } from '../platform/PlatformStack.ts';
import { ServiceStack } from '../service/ServiceStack.ts';

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
  const stateMachineArns = [...platform.stateMachines.values()].map((m) => m.stateMachine.stateMachineArn);
  const botFunction = platform.handlers.get('bot')?.function;
  if (botFunction === undefined) throw new Error('the platform stack has no bot Lambda');
  const services = new Map<string, ServiceStack>();
  for (const service of options.config.services) {
    const stack = new ServiceStack(app, `${prefix}-${service.name}`, {
      description: `Vouch: bots, alarms, dashboard and build project of ${service.name}`,
      service,
      botFunction,
      stateMachineArns,
    });
    stack.addStackDependency(platform);
    services.set(service.name, stack);
  }
  return { platform, services };
}
