/**
 * The AWS SDK as the twin's Lambdas see it: `send` of each client class a handler uses is replaced,
 * per class, by the twin's path: refuse outside a running invocation or after it timed out, authorise
 * the call against the function's role (iam.ts), apply an injected fault if one is armed, then answer
 * from the service's stateful fake. Clients the twin itself owns (its dynalite client) go straight
 * through.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CallOutsideInvocationError, SandboxFrozenError, UnmodelledCallError } from './errors.ts';
import { type AuthorizationRequest, authorize } from './iam.ts';
import { currentInvocation } from './lambdaRunner.ts';

/** A stateful fake of one AWS service. `command` is the SDK command's name without `Command`. */
export interface ServiceFake {
  /** What IAM authorises for the call: action, resource ARN in the service's format, condition keys. */
  authorization(command: string, input: Record<string, unknown>): AuthorizationRequest[];
  /** The service's answer (or its error, an instance of the SDK's exception class where the code checks one). */
  handle(
    command: string,
    input: Record<string, unknown>,
    raw: { command: object; client: object },
  ): Promise<unknown>;
}

/** An error the next matching calls throw instead of the fake's answer (throttling, capacity, ...). */
export interface ArmedFault {
  readonly service: string;
  readonly command: string;
  /** How many calls fail. @default 1 */
  times?: number;
  /** Only calls whose input this accepts (e.g. RunInstances of a test environment). @default every call */
  readonly when?: (input: Record<string, unknown>) => boolean;
  /**
   * The call hangs this long (twin time) first, as a call that does not answer does; if its invocation
   * timed out meanwhile, the sandbox is frozen and nothing more happens. @default 0
   */
  readonly delayMs?: number;
  /** The error the call then throws; without one (a delay alone) the fake answers. */
  readonly error?: () => Error;
}

/** A client's `send`, which every client class inherits from Smithy's `Client`. */
type Send = (this: object, ...args: unknown[]) => Promise<unknown>;

/**
 * Every client class a Vouch handler constructs, by the IAM service prefix of its calls. Only the
 * classes' prototypes are used: `send` is read and replaced on each through Reflect, because its
 * overloads (one per command) are not a type a single replacement can be assigned to.
 */
const CLIENTS: readonly [string, { readonly prototype: object }][] = [
  ['dynamodb', DynamoDBClient],
  ['dynamodb', DynamoDBDocumentClient],
  ['ec2', EC2Client],
  ['elasticloadbalancing', ElasticLoadBalancingV2Client],
  ['cloudwatch', CloudWatchClient],
  ['scheduler', SchedulerClient],
  ['sns', SNSClient],
  ['codebuild', CodeBuildClient],
  ['secretsmanager', SecretsManagerClient],
  ['states', SFNClient],
  // The Lambda target's calls on the services' functions; the twin invokes its own task Lambdas
  // in-process (aws-local-stepfunctions' local handlers), never through a LambdaClient.
  ['lambda', LambdaClient],
];

export class TwinSdk {
  private readonly fakes = new Map<string, ServiceFake>();
  private readonly owned = new WeakSet<object>();
  private readonly originals: [prototype: object, send: Send][] = [];
  readonly faults: ArmedFault[] = [];
  /** Every call a Lambda made: who, what, and whether it was allowed (tests and the run log read it). */
  readonly calls: { function: string; service: string; command: string; outcome: string }[] = [];

  register(service: string, fake: ServiceFake): void {
    this.fakes.set(service, fake);
  }

  /** A client the twin uses itself: its calls are not a Lambda's, so neither checked nor faked. */
  own<T extends object>(client: T): T {
    this.owned.add(client);
    return client;
  }

  /** Arms a fault: the next `times` calls of `service` `command` throw `error()`. */
  arm(fault: ArmedFault): void {
    this.faults.push(fault);
  }

  install(): void {
    if (this.originals.length > 0) return;
    for (const [service, { prototype }] of CLIENTS) {
      const original: Send = Reflect.get(prototype, 'send');
      this.originals.push([prototype, original]);
      const sdk = this;
      const send: Send = async function send(this: object, ...args: unknown[]) {
        if (sdk.owned.has(this)) return original.apply(this, args);
        return sdk.dispatch(service, this, args[0] as object);
      };
      Reflect.set(prototype, 'send', send);
    }
  }

  uninstall(): void {
    for (const [prototype, original] of this.originals) Reflect.set(prototype, 'send', original);
    this.originals.length = 0;
  }

  /**
   * The armed fault this call of `service` `command` meets, counted as used; undefined when none is
   * armed for it. The SDK path below and the twin's `aws` CLI in CodeBuild (fakes/codeBuild.ts) both
   * ask here, so a fault armed for a call fails it whichever way the product makes it.
   */
  takeFault(service: string, command: string, input: Record<string, unknown>): ArmedFault | undefined {
    const fault = this.faults.find(
      (f) =>
        f.service === service && f.command === command && (f.times ?? 1) > 0 && (f.when?.(input) ?? true),
    );
    if (fault) fault.times = (fault.times ?? 1) - 1;
    return fault;
  }

  private async dispatch(service: string, client: object, command: object): Promise<unknown> {
    const name = command.constructor.name.replace(/Command$/, '');
    const input = ((command as { input?: unknown }).input ?? {}) as Record<string, unknown>;
    const invocation = currentInvocation();
    if (invocation === undefined) {
      throw new CallOutsideInvocationError(service, name);
    }
    const caller = invocation.fn.logicalId;
    if (invocation.ended) throw new SandboxFrozenError(invocation.fn.name, `${service}:${name}`);
    const fake = this.fakes.get(service);
    if (fake === undefined) throw new UnmodelledCallError(service, name);
    try {
      await authorize(invocation.fn.identity, invocation.fn.name, fake.authorization(name, input));
    } catch (error) {
      this.calls.push({ function: caller, service, command: name, outcome: (error as Error).name });
      throw error;
    }
    const fault = this.takeFault(service, name, input);
    if (fault) {
      if (fault.delayMs) {
        await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
        if (invocation.ended) {
          this.calls.push({ function: caller, service, command: name, outcome: 'fault stalled' });
          throw new SandboxFrozenError(invocation.fn.name, `${service}:${name}`);
        }
      }
      if (fault.error) {
        const error = fault.error();
        this.calls.push({ function: caller, service, command: name, outcome: `fault ${error.name}` });
        throw error;
      }
    }
    try {
      const result = await fake.handle(name, input, { command, client });
      this.calls.push({ function: caller, service, command: name, outcome: 'ok' });
      return result;
    } catch (error) {
      this.calls.push({ function: caller, service, command: name, outcome: (error as Error).name });
      throw error;
    }
  }
}
