/**
 * What `cdk synth` writes, in process: the app `bin/vouch.ts` builds (buildVouchApp from lib/app), its
 * stacks' templates, and a resolver of their intrinsic functions with the twin's account, region and
 * the physical names CloudFormation would give each resource. Offline: no lookups, no credentials.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { compileFlavour, FLAVOURS } from '../core/spec/index.ts';
import { TwinTemplateError } from './errors.ts';

/** The account and region the twin deploys to (those of the example platform config's ARNs). */
export const TWIN_ACCOUNT = '123456789012';
export const TWIN_REGION = 'eu-west-1';
export const TWIN_PARTITION = 'aws';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly DependsOn?: unknown;
}

export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
}

export interface SynthesizedStack {
  readonly stackName: string;
  readonly template: CfnTemplate;
}

/**
 * Synthesizes the Vouch app for `configFile` as `bin/vouch.ts` does, without bundling (the Lambda code
 * is the handler file each function's `vouch:entry` metadata names; everything else is the template as
 * deployed). The `lib/` modules load only here, so runtime code keeps importing nothing from `lib/`.
 */
export async function synthesizeVouchApp(configFile: string): Promise<SynthesizedStack[]> {
  const { buildVouchApp } = await import('../../lib/app/index.ts');
  const { loadPlatformConfig } = await import('../../lib/config/index.ts');
  // The assembly is read here and not kept: its folder goes when the templates are read (CDK's own
  // default, a cdk.out* under the temporary directory, would stay behind after every run).
  const outdir = mkdtempSync(join(tmpdir(), 'vouch-twin-cdk.out-'));
  const app = new App({
    outdir,
    context: { 'aws:cdk:enable-path-metadata': true },
    postCliContext: { '@aws-cdk/core:defaultCrossStackReferences': 'strong' },
  });
  const config = loadPlatformConfig(configFile, FLAVOURS);
  const flavours = new Map<string, object>(FLAVOURS.map((name) => [name, compileFlavour(name)]));
  buildVouchApp(app, { config, flavours, bundle: false });
  try {
    const assembly = app.synth();
    return assembly.stacks.map((s) => ({ stackName: s.stackName, template: s.template as CfnTemplate }));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** What a resource is once "deployed": the value of `Ref` and of each `Fn::GetAtt` attribute. */
interface Physical {
  readonly ref: string;
  readonly attributes: Record<string, string>;
}

const arn = (service: string, resource: string, region = TWIN_REGION, account = TWIN_ACCOUNT) =>
  `arn:${TWIN_PARTITION}:${service}:${region}:${account}:${resource}`;

/** A short stable suffix, as CloudFormation appends to generated names. */
function suffix(logicalId: string): string {
  let h = 0;
  for (const c of logicalId) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h.toString(36).toUpperCase().padStart(7, '0').slice(0, 7);
}

function physicalOf(
  stackName: string,
  logicalId: string,
  resource: CfnResource,
  resolveName: (value: unknown) => unknown,
): Physical {
  const p = resource.Properties ?? {};
  const named = (key: string) => {
    // A name built from pseudo parameters (`vouch-artifacts-${AWS::AccountId}-${AWS::Region}`) is that name.
    const given = p[key] === undefined ? undefined : resolveName(p[key]);
    return typeof given === 'string' ? given : `${stackName}-${logicalId}-${suffix(logicalId)}`;
  };
  switch (resource.Type) {
    case 'AWS::DynamoDB::Table': {
      const name = named('TableName');
      return { ref: name, attributes: { Arn: arn('dynamodb', `table/${name}`) } };
    }
    case 'AWS::Lambda::Function': {
      const name = named('FunctionName');
      return { ref: name, attributes: { Arn: arn('lambda', `function:${name}`) } };
    }
    case 'AWS::IAM::Role': {
      const name = named('RoleName');
      return { ref: name, attributes: { Arn: `arn:${TWIN_PARTITION}:iam::${TWIN_ACCOUNT}:role/${name}` } };
    }
    case 'AWS::SNS::Topic': {
      const name = named('TopicName');
      const topicArn = arn('sns', name);
      return { ref: topicArn, attributes: { TopicArn: topicArn, TopicName: name } };
    }
    case 'AWS::SQS::Queue': {
      const name = named('QueueName');
      return {
        ref: `https://sqs.${TWIN_REGION}.amazonaws.com/${TWIN_ACCOUNT}/${name}`,
        attributes: { Arn: arn('sqs', name), QueueName: name },
      };
    }
    case 'AWS::S3::Bucket': {
      const name = named('BucketName').toLowerCase();
      return { ref: name, attributes: { Arn: `arn:${TWIN_PARTITION}:s3:::${name}` } };
    }
    case 'AWS::Logs::LogGroup': {
      const name = named('LogGroupName');
      return { ref: name, attributes: { Arn: arn('logs', `log-group:${name}:*`) } };
    }
    case 'AWS::StepFunctions::StateMachine': {
      const name = named('StateMachineName');
      const machineArn = arn('states', `stateMachine:${name}`);
      return { ref: machineArn, attributes: { Arn: machineArn, Name: name } };
    }
    case 'AWS::Scheduler::ScheduleGroup': {
      const name = named('Name');
      return { ref: name, attributes: { Arn: arn('scheduler', `schedule-group/${name}`) } };
    }
    case 'AWS::Scheduler::Schedule': {
      const name = named('Name');
      const group = typeof p.GroupName === 'string' ? p.GroupName : 'default';
      return { ref: name, attributes: { Arn: arn('scheduler', `schedule/${group}/${name}`) } };
    }
    case 'AWS::Events::Rule': {
      const name = named('Name');
      return { ref: name, attributes: { Arn: arn('events', `rule/${name}`) } };
    }
    case 'AWS::CodeBuild::Project': {
      const name = named('Name');
      return { ref: name, attributes: { Arn: arn('codebuild', `project/${name}`) } };
    }
    case 'AWS::CloudWatch::Alarm': {
      const name = named('AlarmName');
      return { ref: name, attributes: { Arn: arn('cloudwatch', `alarm:${name}`) } };
    }
    case 'AWS::ElasticLoadBalancingV2::TargetGroup': {
      const name = named('Name');
      const groupArn = arn('elasticloadbalancing', `targetgroup/${name}/${suffix(logicalId).toLowerCase()}`);
      return { ref: groupArn, attributes: { TargetGroupArn: groupArn, TargetGroupName: name } };
    }
    case 'AWS::ApiGatewayV2::Api': {
      const id = suffix(logicalId).toLowerCase();
      return {
        ref: id,
        attributes: { ApiEndpoint: `https://${id}.execute-api.${TWIN_REGION}.amazonaws.com` },
      };
    }
    default:
      return { ref: `${stackName}-${logicalId}`, attributes: {} };
  }
}

/** The deployed stacks: resolves `Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::ImportValue`, ... */
export class DeployedTemplates {
  private readonly physical = new Map<string, Map<string, Physical>>();
  private readonly exports = new Map<string, unknown>();

  constructor(readonly stacks: readonly SynthesizedStack[]) {
    for (const { stackName, template } of stacks) {
      const byId = new Map<string, Physical>();
      const resolveName = (value: unknown) => {
        try {
          return this.resolve(stackName, value);
        } catch {
          return undefined; // a name that needs another resource's: CloudFormation's generated one
        }
      };
      this.physical.set(stackName, byId);
      for (const [id, r] of Object.entries(template.Resources))
        byId.set(id, physicalOf(stackName, id, r, resolveName));
    }
    for (const { stackName, template } of stacks) {
      for (const output of Object.values(template.Outputs ?? {})) {
        if (output.Export) {
          this.exports.set(this.resolve(stackName, output.Export.Name) as string, {
            stackName,
            value: output.Value,
          });
        }
      }
    }
  }

  stack(name: string): SynthesizedStack {
    const s = this.stacks.find((x) => x.stackName === name);
    if (!s) throw new TwinTemplateError(`no stack ${name} in the synthesized app`);
    return s;
  }

  /** Every resource of a type, across stacks. */
  resourcesOfType(type: string): { stackName: string; logicalId: string; resource: CfnResource }[] {
    return this.stacks.flatMap(({ stackName, template }) =>
      Object.entries(template.Resources)
        .filter(([, r]) => r.Type === type)
        .map(([logicalId, resource]) => ({ stackName, logicalId, resource })),
    );
  }

  ref(stackName: string, logicalId: string): string {
    const p = this.physical.get(stackName)?.get(logicalId);
    if (!p) throw new TwinTemplateError(`Ref to unknown resource ${stackName}/${logicalId}`);
    return p.ref;
  }

  getAtt(stackName: string, logicalId: string, attribute: string): string {
    const p = this.physical.get(stackName)?.get(logicalId);
    const value = p?.attributes[attribute];
    if (value === undefined)
      throw new TwinTemplateError(
        `Fn::GetAtt ${stackName}/${logicalId}.${attribute} is not modelled by the twin`,
      );
    return value;
  }

  /** A template value with every intrinsic function resolved. */
  resolve(stackName: string, value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(stackName, v));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [key, arg] = entries[0] as [string, unknown];
      switch (key) {
        case 'Ref':
          return this.pseudo(stackName, arg as string) ?? this.ref(stackName, arg as string);
        case 'Fn::GetAtt': {
          const [id, attr] = Array.isArray(arg) ? (arg as string[]) : String(arg).split('.');
          return this.getAtt(stackName, id as string, attr as string);
        }
        case 'Fn::Join': {
          const [sep, parts] = arg as [string, unknown[]];
          return (this.resolve(stackName, parts) as unknown[]).join(sep);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [number, unknown];
          return (this.resolve(stackName, list) as unknown[])[Number(index)];
        }
        case 'Fn::Split': {
          const [sep, text] = arg as [string, unknown];
          return String(this.resolve(stackName, text)).split(sep);
        }
        case 'Fn::Sub':
          return this.sub(stackName, arg);
        case 'Fn::ImportValue': {
          const name = this.resolve(stackName, arg) as string;
          const exported = this.exports.get(name) as { stackName: string; value: unknown } | undefined;
          if (!exported) throw new TwinTemplateError(`Fn::ImportValue ${name}: no stack exports it`);
          return this.resolve(exported.stackName, exported.value);
        }
        default:
          if (key.startsWith('Fn::')) throw new TwinTemplateError(`${key} is not modelled by the twin`);
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(stackName, v)]));
  }

  private pseudo(stackName: string, name: string): string | undefined {
    switch (name) {
      case 'AWS::Region':
        return TWIN_REGION;
      case 'AWS::AccountId':
        return TWIN_ACCOUNT;
      case 'AWS::Partition':
        return TWIN_PARTITION;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return stackName;
      default:
        return undefined;
    }
  }

  private sub(stackName: string, arg: unknown): string {
    const [text, vars] = Array.isArray(arg)
      ? (arg as [string, Record<string, unknown>])
      : [arg as string, {}];
    return text.replace(/\$\{([^}!]+)\}/g, (_m, name: string) => {
      if (name in vars) return String(this.resolve(stackName, vars[name]));
      const [id, attr] = name.split('.');
      if (attr !== undefined) return this.getAtt(stackName, id as string, attr);
      return this.pseudo(stackName, name) ?? this.ref(stackName, name);
    });
  }
}
