/**
 * EC2 on the twin, as far as bake uses it: instances launched from the operator's launch template
 * (pending -> running, and a builder powers itself off once its user data has run), images created
 * from a stopped instance (pending -> available) with snapshots, tags, terminate; and what the sweeper
 * removes: DeregisterImage (its snapshots stay, as on EC2) and DeleteSnapshot (refused while a
 * registered image uses the snapshot). Each call is
 * authorised on every resource EC2 authorises it on (service authorization reference, Amazon EC2),
 * in EC2's ARN formats: instances, volumes, subnets, security groups, network interfaces and launch
 * templates carry the account; images and snapshots do not (`arn:aws:ec2:<region>::image/ami-...`).
 * How long each transition takes is twin time, set by `Ec2Timings`.
 */
import { Ec2ServiceError, UnmodelledCallError } from '../errors.ts';
import type { AuthorizationRequest } from '../iam.ts';
import type { ServiceFake } from '../sdk.ts';
import { TWIN_ACCOUNT, TWIN_PARTITION, TWIN_REGION } from '../template.ts';

export interface Ec2Timings {
  /** pending -> running. @default 20 s */
  readonly bootMs: number;
  /** A builder's user data (fetch the artifact, install, power off): running -> stopped. @default 180 s */
  readonly builderRunMs: number;
  /** CreateImage: pending -> available. @default 300 s */
  readonly imageMs: number;
}

const DEFAULT_TIMINGS: Ec2Timings = { bootMs: 20_000, builderRunMs: 180_000, imageMs: 300_000 };

/** What the operator's launch template launches into (the twin's stand-in for it). */
export interface LaunchTemplateContents {
  readonly subnetId: string;
  readonly securityGroupId: string;
  readonly instanceRoleArn: string;
}

/**
 * What a baked image runs, read from its builder's user data (adapters/aws/target/userData.ts): the
 * artifacts it fetched, the start command it installed and the port it set.
 */
export interface BakedPayload {
  readonly artifacts: readonly string[];
  readonly command: string;
  readonly port: number;
}

export interface TwinInstance {
  readonly id: string;
  readonly imageId: string;
  readonly launchedAt: number;
  tags: Record<string, string>;
  readonly builder: boolean;
  /** A builder's: what its user data installs. An instance of a baked image's: what the image runs. */
  readonly payload?: BakedPayload;
  terminatedAt?: number;
}

export interface TwinSnapshot {
  readonly id: string;
  readonly createdAt: number;
  readonly tags: Record<string, string>;
}

export interface TwinImage {
  readonly id: string;
  readonly snapshotId: string;
  readonly name: string;
  readonly createdAt: number;
  readonly tags: Record<string, string>;
  readonly payload?: BakedPayload;
  deregistered?: boolean;
}

/**
 * DescribeInstances / DescribeImages filters on tags: `tag:<key>` (the value is one of Values) and
 * `tag-key` (the resource has a tag with one of the keys, whatever its value).
 */
function matchesTagFilter(filter: { Name: string; Values: string[] }, tags: Record<string, string>): boolean {
  if (filter.Name === 'tag-key') return filter.Values.some((key) => key in tags);
  if (filter.Name.startsWith('tag:')) {
    const key = filter.Name.slice(4);
    return key in tags && filter.Values.includes(tags[key] ?? '');
  }
  return true;
}

type Instance = TwinInstance;
type Image = TwinImage;

/** Unquotes one shellQuote'd word ('...' with '\'' for a quote). */
function shellUnquote(word: string): string {
  if (!word.startsWith("'")) return word;
  return word.slice(1, -1).replaceAll(`'\\''`, "'");
}

/**
 * Reads what the builder user data of adapters/aws/target/userData.ts installs: the `aws s3 cp` of each
 * artifact, the start command's heredoc and `Environment=PORT=`. Undefined for any other script.
 */
export function parseBuilderUserData(script: string): BakedPayload | undefined {
  const lines = script.split('\n');
  const artifacts = lines.flatMap((l) => {
    const m = /^aws s3 cp ('(?:[^']|'\\'')*'|\S+) - \| tar -xz -C \/opt\/vouch\/app$/.exec(l);
    return m?.[1] === undefined ? [] : [shellUnquote(m[1])];
  });
  const start = lines.indexOf("cat > /opt/vouch/start.sh <<'START'");
  const command = start >= 0 ? lines[start + 1] : undefined;
  const port = lines.map((l) => /^Environment=PORT=(\d+)$/.exec(l)?.[1]).find((p) => p !== undefined);
  if (artifacts.length === 0 || command === undefined || port === undefined) return undefined;
  return { artifacts, command, port: Number(port) };
}

/** What the twin's data plane is told of instance lifecycles (lambdas/twin/instances.ts). */
export interface InstanceListener {
  launched(instance: TwinInstance): void;
  terminated(instance: TwinInstance): void;
}

const accountArn = (type: string, id: string) =>
  `arn:${TWIN_PARTITION}:ec2:${TWIN_REGION}:${TWIN_ACCOUNT}:${type}/${id}`;
const globalArn = (type: string, id: string) => `arn:${TWIN_PARTITION}:ec2:${TWIN_REGION}::${type}/${id}`;

type TagSpecification = { ResourceType?: string; Tags?: { Key?: string; Value?: string }[] };
const tagsOf = (specs: TagSpecification[] | undefined, type: string) =>
  Object.fromEntries(
    (specs ?? [])
      .filter((s) => s.ResourceType === type)
      .flatMap((s) => (s.Tags ?? []).map((t) => [t.Key, t.Value])),
  ) as Record<string, string>;
const requestTagContext = (tags: Record<string, string>) => ({
  ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])),
  'aws:TagKeys': Object.keys(tags),
});
const resourceTagContext = (tags: Record<string, string>) =>
  Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));

let sequence = 0;
const newId = (prefix: string) => `${prefix}-${(++sequence).toString(16).padStart(17, '0')}`;

export class TwinEc2 {
  readonly instances = new Map<string, Instance>();
  readonly images = new Map<string, Image>();
  readonly snapshots = new Map<string, TwinSnapshot>();
  private readonly timings: Ec2Timings;
  private readonly listeners: InstanceListener[] = [];

  constructor(
    private readonly launchTemplate: LaunchTemplateContents,
    timings: Partial<Ec2Timings> = {},
  ) {
    this.timings = { ...DEFAULT_TIMINGS, ...timings };
  }

  /** Told of every launch and termination (the data plane runs and stops the instances' processes). */
  onInstance(listener: InstanceListener): void {
    this.listeners.push(listener);
  }

  instanceState(i: Instance, now = Date.now()): string {
    if (i.terminatedAt !== undefined) return now - i.terminatedAt < 10_000 ? 'shutting-down' : 'terminated';
    const age = now - i.launchedAt;
    if (age < this.timings.bootMs) return 'pending';
    if (i.builder && age >= this.timings.bootMs + this.timings.builderRunMs) return 'stopped';
    return 'running';
  }

  imageState(i: Image, now = Date.now()): string {
    if (i.deregistered) return 'deregistered';
    return now - i.createdAt < this.timings.imageMs ? 'pending' : 'available';
  }

  fake(): ServiceFake {
    return {
      authorization: (command, input): AuthorizationRequest[] => {
        switch (command) {
          case 'RunInstances': {
            const instanceTags = tagsOf(input.TagSpecifications as TagSpecification[], 'instance');
            const volumeTags = tagsOf(input.TagSpecifications as TagSpecification[], 'volume');
            const template = (input.LaunchTemplate as { LaunchTemplateId?: string } | undefined)
              ?.LaunchTemplateId;
            const requests: AuthorizationRequest[] = [
              {
                action: 'ec2:RunInstances',
                resource: accountArn('instance', '*'),
                context: requestTagContext(instanceTags),
              },
              { action: 'ec2:RunInstances', resource: globalArn('image', String(input.ImageId)) },
              { action: 'ec2:RunInstances', resource: accountArn('subnet', this.launchTemplate.subnetId) },
              {
                action: 'ec2:RunInstances',
                resource: accountArn('security-group', this.launchTemplate.securityGroupId),
              },
              { action: 'ec2:RunInstances', resource: accountArn('network-interface', '*') },
              {
                action: 'ec2:RunInstances',
                resource: accountArn('volume', '*'),
                context: requestTagContext(volumeTags),
              },
              {
                action: 'iam:PassRole',
                resource: this.launchTemplate.instanceRoleArn,
                context: { 'iam:PassedToService': 'ec2.amazonaws.com' },
              },
            ];
            if (template)
              requests.push({
                action: 'ec2:RunInstances',
                resource: accountArn('launch-template', template),
              });
            for (const [type, tags] of [
              ['instance', instanceTags],
              ['volume', volumeTags],
            ] as const) {
              if (Object.keys(tags).length > 0) {
                requests.push({
                  action: 'ec2:CreateTags',
                  resource: accountArn(type, '*'),
                  context: { ...requestTagContext(tags), 'ec2:CreateAction': 'RunInstances' },
                });
              }
            }
            return requests;
          }
          case 'CreateImage': {
            const instance = this.instances.get(String(input.InstanceId));
            const imageTags = tagsOf(input.TagSpecifications as TagSpecification[], 'image');
            const snapshotTags = tagsOf(input.TagSpecifications as TagSpecification[], 'snapshot');
            const requests: AuthorizationRequest[] = [
              {
                action: 'ec2:CreateImage',
                resource: accountArn('instance', String(input.InstanceId)),
                context: resourceTagContext(instance?.tags ?? {}),
              },
              {
                action: 'ec2:CreateImage',
                resource: globalArn('image', '*'),
                context: requestTagContext(imageTags),
              },
              {
                action: 'ec2:CreateImage',
                resource: globalArn('snapshot', '*'),
                context: requestTagContext(snapshotTags),
              },
            ];
            for (const [type, tags] of [
              ['image', imageTags],
              ['snapshot', snapshotTags],
            ] as const) {
              if (Object.keys(tags).length > 0) {
                requests.push({
                  action: 'ec2:CreateTags',
                  resource: globalArn(type, '*'),
                  context: { ...requestTagContext(tags), 'ec2:CreateAction': 'CreateImage' },
                });
              }
            }
            return requests;
          }
          case 'CreateTags': {
            // On existing instances (promote's retagging): the instance ARN, its tags and the request's.
            const tags = Object.fromEntries(
              ((input.Tags as { Key?: string; Value?: string }[]) ?? []).map((t) => [t.Key, t.Value]),
            ) as Record<string, string>;
            return ((input.Resources as string[]) ?? []).map((id) => ({
              action: 'ec2:CreateTags',
              resource: id.startsWith('ami-') ? globalArn('image', id) : accountArn('instance', id),
              context: {
                ...requestTagContext(tags),
                ...resourceTagContext(this.instances.get(id)?.tags ?? {}),
              },
            }));
          }
          // Images and snapshots by their own ARNs (no account part) and their tags.
          case 'DeregisterImage': {
            const id = String(input.ImageId);
            return [
              {
                action: 'ec2:DeregisterImage',
                resource: globalArn('image', id),
                context: resourceTagContext(this.images.get(id)?.tags ?? {}),
              },
            ];
          }
          case 'DeleteSnapshot': {
            const id = String(input.SnapshotId);
            return [
              {
                action: 'ec2:DeleteSnapshot',
                resource: globalArn('snapshot', id),
                context: resourceTagContext(this.snapshots.get(id)?.tags ?? {}),
              },
            ];
          }
          case 'TerminateInstances':
          case 'StopInstances':
          case 'StartInstances':
            return ((input.InstanceIds as string[]) ?? []).map((id) => ({
              action: `ec2:${command}`,
              resource: accountArn('instance', id),
              context: resourceTagContext(this.instances.get(id)?.tags ?? {}),
            }));
          default:
            // Describe* take no resource types (service authorization reference, Amazon EC2).
            return [{ action: `ec2:${command}`, resource: '*' }];
        }
      },
      handle: async (command, input) => {
        switch (command) {
          case 'RunInstances': {
            const tags = tagsOf(input.TagSpecifications as TagSpecification[], 'instance');
            const count = Number(input.MinCount ?? 1);
            const builder = input.InstanceInitiatedShutdownBehavior === 'stop';
            // A builder carries what its user data installs; an instance of a baked image, what the image runs.
            const payload = builder
              ? parseBuilderUserData(Buffer.from(String(input.UserData ?? ''), 'base64').toString('utf8'))
              : this.images.get(String(input.ImageId))?.payload;
            const launched: Instance[] = [];
            for (let n = 0; n < count; n++) {
              const instance: Instance = {
                id: newId('i'),
                imageId: String(input.ImageId),
                launchedAt: Date.now(),
                tags,
                builder,
                ...(payload === undefined ? {} : { payload }),
              };
              this.instances.set(instance.id, instance);
              launched.push(instance);
            }
            for (const instance of launched) for (const l of this.listeners) l.launched(instance);
            return { Instances: launched.map((i) => this.describe(i)) };
          }
          case 'DescribeInstances': {
            const ids = input.InstanceIds as string[] | undefined;
            const filters = (input.Filters as { Name: string; Values: string[] }[] | undefined) ?? [];
            const matching = [...this.instances.values()].filter(
              (i) =>
                (ids === undefined || ids.includes(i.id)) &&
                filters.every((f) =>
                  f.Name === 'instance-state-name'
                    ? f.Values.includes(this.instanceState(i))
                    : matchesTagFilter(f, i.tags),
                ),
            );
            return {
              Reservations:
                matching.length === 0 ? [] : [{ Instances: matching.map((i) => this.describe(i)) }],
            };
          }
          case 'TerminateInstances': {
            for (const id of (input.InstanceIds as string[]) ?? []) {
              const i = this.instances.get(id);
              if (i && i.terminatedAt === undefined) {
                i.terminatedAt = Date.now();
                for (const l of this.listeners) l.terminated(i);
              }
            }
            return { TerminatingInstances: [] };
          }
          case 'CreateTags': {
            for (const id of (input.Resources as string[]) ?? []) {
              const target = this.instances.get(id) ?? this.images.get(id);
              if (target === undefined) {
                throw new Ec2ServiceError(
                  id.startsWith('ami-') ? 'InvalidAMIID.NotFound' : 'InvalidInstanceID.NotFound',
                  `The ID '${id}' does not exist`,
                );
              }
              for (const t of (input.Tags as { Key?: string; Value?: string }[]) ?? [])
                if (t.Key !== undefined) target.tags[t.Key] = t.Value ?? '';
            }
            return {};
          }
          case 'CreateImage': {
            const payload = this.instances.get(String(input.InstanceId))?.payload;
            const snapshot: TwinSnapshot = {
              id: newId('snap'),
              createdAt: Date.now(),
              tags: tagsOf(input.TagSpecifications as TagSpecification[], 'snapshot'),
            };
            const image: Image = {
              ...(payload === undefined ? {} : { payload }),
              id: newId('ami'),
              snapshotId: snapshot.id,
              name: String(input.Name),
              createdAt: Date.now(),
              tags: tagsOf(input.TagSpecifications as TagSpecification[], 'image'),
            };
            this.snapshots.set(snapshot.id, snapshot);
            this.images.set(image.id, image);
            return { ImageId: image.id };
          }
          case 'DeregisterImage': {
            const id = String(input.ImageId);
            const image = this.images.get(id);
            if (image === undefined)
              throw new Ec2ServiceError('InvalidAMIID.NotFound', `The image id '[${id}]' does not exist`);
            if (image.deregistered)
              throw new Ec2ServiceError(
                'InvalidAMIID.Unavailable',
                `The image ID '${id}' is no longer available`,
              );
            // Its snapshots stay (and cost) until deleted on their own.
            image.deregistered = true;
            return {};
          }
          case 'DeleteSnapshot': {
            const id = String(input.SnapshotId);
            if (!this.snapshots.has(id))
              throw new Ec2ServiceError('InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
            const user = [...this.images.values()].find((i) => !i.deregistered && i.snapshotId === id);
            if (user !== undefined)
              throw new Ec2ServiceError(
                'InvalidSnapshot.InUse',
                `The snapshot ${id} is currently in use by ${user.id}`,
              );
            this.snapshots.delete(id);
            return {};
          }
          case 'DescribeImages': {
            const ids = input.ImageIds as string[] | undefined;
            const filters = (input.Filters as { Name: string; Values: string[] }[] | undefined) ?? [];
            const matching = [...this.images.values()].filter(
              (i) =>
                !i.deregistered &&
                (ids === undefined || ids.includes(i.id)) &&
                filters.every((f) => matchesTagFilter(f, i.tags)),
            );
            return {
              Images: matching.map((i) => ({
                ImageId: i.id,
                Name: i.name,
                State: this.imageState(i),
                CreationDate: new Date(i.createdAt).toISOString(),
                Tags: Object.entries(i.tags).map(([Key, Value]) => ({ Key, Value })),
                BlockDeviceMappings: [
                  { DeviceName: '/dev/xvda', Ebs: { SnapshotId: i.snapshotId, VolumeSize: 8 } },
                ],
              })),
            };
          }
          default:
            throw new UnmodelledCallError('ec2', command);
        }
      },
    };
  }

  private describe(i: Instance) {
    return {
      InstanceId: i.id,
      ImageId: i.imageId,
      State: { Name: this.instanceState(i) },
      LaunchTime: new Date(i.launchedAt),
      Tags: Object.entries(i.tags).map(([Key, Value]) => ({ Key, Value })),
    };
  }

  /** Instances not terminated (the twin's leftovers check). */
  get liveInstances(): string[] {
    return [...this.instances.values()].filter((i) => i.terminatedAt === undefined).map((i) => i.id);
  }
}
