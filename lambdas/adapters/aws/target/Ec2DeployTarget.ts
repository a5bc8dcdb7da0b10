import { createHash, randomUUID } from 'node:crypto';
import {
  CreateImageCommand,
  CreateTagsCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  type EC2Client,
  type Image as Ec2Image,
  type Filter,
  type Instance,
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
  type ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
  ModifyTargetGroupCommand,
  PriorityInUseException,
  RegisterTargetsCommand,
  RuleNotFoundException,
  type TargetGroup,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ResourceTags } from '../../../core/shared/tags.ts';
import {
  EnvironmentNotFoundError,
  ImageBakeError,
  ImageNotFoundError,
  InvalidRunSpecError,
  InvalidWeightError,
  NoBaselineError,
  NoCanaryError,
  ServiceStartError,
} from '../../../core/target/errors.ts';
import { checkProvisionNames, checkTargetName, environmentId } from '../../../core/target/naming.ts';
import type * as Target from '../../../core/target/port.ts';
import { type Ec2TargetConfig, type Ec2TargetConfigInput, parseEc2TargetConfig } from './config.ts';
import {
  AwsTargetConfigError,
  EnvironmentProtectedError,
  InvalidBakeSourceError,
  RoutingNotFoundError,
  TargetGroupLayoutError,
  WaiterTimeoutError,
} from './errors.ts';
import {
  costTags,
  fromTagList,
  resourceTagsOf,
  TAG,
  type TagMap,
  tagSpecifications,
  toTagList,
} from './tags.ts';
import { builderUserData } from './userData.ts';
import { realSleep, type Sleep, waitFor } from './waiter.ts';

export interface Ec2DeployTargetOptions {
  /** Created once at module scope by the Lambda handler. */
  readonly ec2: EC2Client;
  readonly elb: ElasticLoadBalancingV2Client;
  readonly config: Ec2TargetConfigInput;
  /** @default a setTimeout sleep; tests pass one that returns at once */
  readonly sleep?: Sleep;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/**
 * What bake uses beyond the port's request when the caller has it: tagged on the AMI and its
 * snapshots so an image can be traced to its commit and build data version.
 */
export interface AwsBakeExtras {
  readonly commit?: string;
  readonly version?: number | string;
}

const DEFAULT_HEALTH_PATH = '/health';
const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'];
/** ALB DescribeTags takes at most 20 ARNs per call. */
const DESCRIBE_TAGS_BATCH = 20;
/** Listener rule priorities are 1..50000. */
const MAX_RULE_PRIORITY = 50_000;

interface TargetGroupRef {
  readonly arn: string;
  readonly healthCheckPath: string | undefined;
  readonly tags: TagMap;
}

type Routing =
  | {
      readonly kind: 'rule';
      readonly arn: string;
      readonly host: string | undefined;
      readonly actions: Action[];
    }
  | { readonly kind: 'listener'; readonly arn: string; readonly actions: Action[] };

interface ResolvedEnvironment {
  readonly environment: Target.Environment;
  readonly baseline: TargetGroupRef;
  readonly canary: TargetGroupRef;
  readonly routing: Routing | undefined;
}

interface SlotInstance {
  readonly id: string;
  readonly slot: Target.Slot | undefined;
  readonly state: string;
  readonly tags: TagMap;
  readonly imageId: string | undefined;
  readonly privateIp: string | undefined;
  readonly launchTime: Date | undefined;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function parseEnvironmentId(id: string): { service: string; name: string; runKey: string | undefined } {
  const [service, name, ...rest] = id.split('.');
  if (service === undefined || name === undefined || service === '' || name === '') {
    throw new EnvironmentNotFoundError(id);
  }
  return { service, name, runKey: rest.length > 0 ? rest.join('.') : undefined };
}

/** ALB target group names are at most 32 characters: a hash of the environment id keeps them unique. */
export function ephemeralTargetGroupNames(environmentId: string): Record<'a' | 'b', string> {
  const stem = `vouch-${sha256(environmentId).slice(0, 20)}`;
  return { a: `${stem}-a`, b: `${stem}-b` };
}

/** A DNS label (at most 63 characters) under the test domain, unique per ephemeral environment. */
export function ephemeralHost(environmentId: string, testDomain: string): string {
  const { service, name } = parseEnvironmentId(environmentId);
  // ALB host-header conditions and DNS labels take no '_'; the hash keeps the label unique anyway.
  const label = `${service}-${name}`.toLowerCase().replaceAll('_', '-').slice(0, 54);
  return `${label}-${sha256(environmentId).slice(0, 8)}.${testDomain}`;
}

function forwardTargets(action: Action): string[] {
  const arns = (action.ForwardConfig?.TargetGroups ?? []).map((t) => t.TargetGroupArn ?? '');
  if (action.TargetGroupArn !== undefined) arns.push(action.TargetGroupArn);
  return arns;
}

/**
 * The EC2 + ALB side of the deploy target (`ec2-canary` flavour). Stateless between calls, as a Lambda
 * is: every call finds the environment's target groups, listener rule and instances again by their
 * `vouch:*` tags, so `$.out.provision` (`{ id }`) is all the next task needs.
 */
export class Ec2DeployTarget implements Target.DeployTarget {
  private readonly ec2: EC2Client;
  private readonly elb: ElasticLoadBalancingV2Client;
  private readonly config: Ec2TargetConfig;
  private readonly sleep: Sleep;
  private readonly now: () => Date;
  private readonly records = new Map<string, Target.ResourceRecord>();

  constructor(options: Ec2DeployTargetOptions) {
    this.ec2 = options.ec2;
    this.elb = options.elb;
    this.config = parseEc2TargetConfig(options.config);
    this.sleep = options.sleep ?? realSleep;
    this.now = options.now ?? (() => new Date());
  }

  // ---------------------------------------------------------------- bake

  /**
   * Bakes an AMI: a builder instance boots the base AMI with user data that fetches the artifacts
   * (`source`, then `overlays`, as s3:// URIs) and powers off; the stopped builder is imaged with
   * tags on the image and its snapshots; the builder is terminated. Re-entrant: a retried bake finds
   * the image or the builder of the same content by tag and carries on from there.
   */
  async bake(request: Target.BakeRequest & AwsBakeExtras): Promise<Target.Image> {
    checkTargetName('service', request.service);
    const artifacts = [request.source, ...(request.overlays ?? [])];
    for (const uri of artifacts) {
      if (!uri.startsWith('s3://')) throw new InvalidBakeSourceError(uri);
    }
    if (request.run.command === undefined) {
      throw new InvalidRunSpecError('an EC2 service needs run.command (how the service starts)');
    }
    const run: Target.RunSpec & { command: string } = {
      command: request.run.command,
      healthPath: request.run.healthPath ?? DEFAULT_HEALTH_PATH,
    };
    if (run.command.length > 256) {
      // It is kept as an AMI tag (deploy reads the health path back from there); tag values are <= 256.
      throw new InvalidRunSpecError('run.command must be at most 256 characters');
    }
    const id = sha256(
      JSON.stringify({ service: request.service, artifacts, run, port: this.config.servicePort }),
    );
    const userData = builderUserData({
      service: request.service,
      artifacts,
      run,
      port: this.config.servicePort,
    });

    let ami = await this.findImage(id);
    if (ami === undefined) {
      const builderId = await this.startBuilder(id, request, userData);
      await waitFor('builder instance stopped', this.config.waits.builderStopped, this.sleep, async () => {
        const instance = await this.describeInstance(builderId);
        const state = instance?.State?.Name ?? 'unknown';
        if (state === 'stopped') return { done: true, value: undefined };
        if (state === 'terminated' || state === 'shutting-down') {
          throw new ImageBakeError(
            `Builder ${builderId} of ${request.service} ended (${state}) before it was imaged`,
          );
        }
        return { done: false, state };
      });
      const imageTags: TagMap = {
        ...costTags(request.tags),
        [TAG.name]: `vouch-${request.service}-${id.slice(0, 12)}`,
        [TAG.imageId]: id,
        [TAG.runCommand]: run.command,
        [TAG.healthPath]: run.healthPath ?? DEFAULT_HEALTH_PATH,
      };
      if (request.version !== undefined) imageTags[TAG.version] = String(request.version);
      if (request.commit !== undefined) imageTags[TAG.commit] = request.commit;
      const created = await this.ec2.send(
        new CreateImageCommand({
          InstanceId: builderId,
          Name: `vouch-${request.service}-${id.slice(0, 16)}`,
          Description: `Vouch image of ${request.service}`,
          // Cost tags on the snapshots too: they are what an AMI costs.
          TagSpecifications: tagSpecifications(['image', 'snapshot'], imageTags),
        }),
      );
      if (created.ImageId === undefined)
        throw new ImageBakeError(`CreateImage returned no image id for ${builderId}`);
      ami = { ImageId: created.ImageId, State: 'pending' };
    }

    const amiId = ami.ImageId ?? '';
    const builders = () => this.findInstances([{ Name: `tag:${TAG.imageId}`, Values: [id] }]);
    let available: Ec2Image;
    try {
      available =
        ami.State === 'available'
          ? ami
          : await waitFor('image available', this.config.waits.imageAvailable, this.sleep, async () => {
              const { Images } = await this.ec2.send(new DescribeImagesCommand({ ImageIds: [amiId] }));
              const image = Images?.[0];
              const state = image?.State ?? 'unknown';
              if (image !== undefined && state === 'available') return { done: true, value: image };
              if (state === 'failed' || state === 'error' || state === 'invalid') {
                throw new ImageBakeError(
                  `Image ${amiId} of ${request.service} is ${state}: ${image?.StateReason?.Message}`,
                );
              }
              return { done: false, state };
            });
    } catch (error) {
      // The image is requested, so its snapshots no longer need the builder (deleting a volume has no
      // effect on the snapshots made from it): a bake that gives up here terminates it, since this may
      // be the run's last attempt and the run's cleanup does not know the builder. A retried bake finds
      // the pending image by tag and resumes the wait on the image alone.
      if (error instanceof WaiterTimeoutError) await this.terminateInstances(await builders());
      throw error;
    }
    await this.terminateInstances(await builders());

    const sizeBytes = (available.BlockDeviceMappings ?? []).reduce(
      (sum, device) => sum + (device.Ebs?.VolumeSize ?? 0) * 2 ** 30,
      0,
    );
    const image: Target.Image = {
      id,
      service: request.service,
      run,
      tags: request.tags,
      sizeBytes,
      // An AMI is opaque to the target: it does not count the files inside.
      fileCount: 0,
      createdAt: available.CreationDate ?? this.now().toISOString(),
      location: amiId,
    };
    this.record({ id: amiId, kind: 'image', tags: request.tags, createdAt: image.createdAt, sizeBytes });
    return image;
  }

  /**
   * Terminates the builder instances bake launched for `commit` of `service` that are still up (by
   * their tags: role builder, service, commit), and returns their ids. For a run that ended during its
   * bake: stopping an execution does not stop the builder it launched (the reconciler calls this).
   */
  async terminateBuilders(service: string, commit: string): Promise<string[]> {
    checkTargetName('service', service);
    const builders = await this.findInstances([
      { Name: `tag:${TAG.role}`, Values: ['builder'] },
      { Name: 'tag:service', Values: [service] },
      { Name: `tag:${TAG.commit}`, Values: [commit] },
    ]);
    await this.terminateInstances(builders);
    return builders.map((b) => b.id);
  }

  private async findImage(id: string): Promise<Ec2Image | undefined> {
    const { Images } = await this.ec2.send(
      new DescribeImagesCommand({
        Owners: ['self'],
        Filters: [{ Name: `tag:${TAG.imageId}`, Values: [id] }],
      }),
    );
    const image = Images?.[0];
    if (image === undefined) return undefined;
    if (image.State === 'available' || image.State === 'pending') return image;
    throw new ImageBakeError(
      `Image ${image.ImageId} with ${TAG.imageId}=${id} is ${image.State}; deregister it to bake again`,
    );
  }

  private async startBuilder(
    id: string,
    request: Target.BakeRequest & AwsBakeExtras,
    userData: string,
  ): Promise<string> {
    const existing = await this.findInstances([
      { Name: `tag:${TAG.imageId}`, Values: [id] },
      { Name: `tag:${TAG.role}`, Values: ['builder'] },
    ]);
    const found = existing[0];
    if (found !== undefined) return found.id;
    const tags: TagMap = {
      ...costTags(request.tags, 'build'),
      [TAG.name]: `vouch-builder-${request.service}`,
      [TAG.role]: 'builder',
      [TAG.imageId]: id,
    };
    if (request.commit !== undefined) tags[TAG.commit] = request.commit;
    const { Instances } = await this.ec2.send(
      new RunInstancesCommand({
        ImageId: this.config.baseImageId,
        LaunchTemplate: {
          LaunchTemplateId: this.config.builderLaunchTemplateId ?? this.config.launchTemplateId,
          Version: this.config.launchTemplateVersion,
        },
        MinCount: 1,
        MaxCount: 1,
        UserData: Buffer.from(userData).toString('base64'),
        // The script powers off when done: stop (not terminate) keeps the disk to image.
        InstanceInitiatedShutdownBehavior: 'stop',
        TagSpecifications: tagSpecifications(['instance', 'volume'], tags),
      }),
    );
    const builderId = Instances?.[0]?.InstanceId;
    if (builderId === undefined)
      throw new ImageBakeError(`RunInstances returned no builder for ${request.service}`);
    this.record({
      id: builderId,
      kind: 'process',
      tags: request.tags,
      environment: 'build',
      createdAt: this.now().toISOString(),
    });
    return builderId;
  }

  // ---------------------------------------------------------------- provision

  /**
   * Ephemeral (test): creates a baseline/canary target group pair and a host-header rule on the shared
   * listener forwarding 100/0, all tagged. Lasting (qa, prod): finds the pair the CDK stack made, by
   * `vouch:environment-id` and `vouch:slot` tags, among the target groups of the shared ALB.
   */
  async provision(
    service: string,
    environment: string,
    options: Target.ProvisionOptions,
  ): Promise<Target.Environment> {
    checkProvisionNames(service, environment, options.runKey);
    if (!options.ephemeral) {
      const resolved = await this.resolve(
        { id: environmentId(service, environment) },
        { requireRouting: true },
      );
      return resolved.environment;
    }
    const id = environmentId(service, environment, options.runKey ?? randomUUID().slice(0, 8));
    const createdAt = this.now().toISOString();
    const base: TagMap = {
      ...costTags(options.tags, environment),
      [TAG.environmentId]: id,
      [TAG.createdAt]: createdAt,
    };
    const names = ephemeralTargetGroupNames(id);
    // CreateTargetGroup with the same name and settings returns the existing group: a retry is safe.
    const baselineArn = await this.createTargetGroup(names.a, { ...base, [TAG.slot]: 'baseline' });
    const canaryArn = await this.createTargetGroup(names.b, { ...base, [TAG.slot]: 'canary' });
    const host = ephemeralHost(id, this.config.testDomain);
    await this.createRule(host, baselineArn, canaryArn, base);
    this.record({ id, kind: 'environment', tags: options.tags, environment, createdAt });
    return {
      id,
      service,
      name: environment,
      ephemeral: true,
      tags: options.tags,
      proxyUrl: `${this.config.urlScheme}://${host}`,
      createdAt,
    };
  }

  private async createTargetGroup(name: string, tags: TagMap): Promise<string> {
    const { TargetGroups } = await this.elb.send(
      new CreateTargetGroupCommand({
        Name: name,
        Protocol: 'HTTP',
        Port: this.config.servicePort,
        VpcId: this.config.vpcId,
        TargetType: 'instance',
        HealthCheckProtocol: 'HTTP',
        // deploy sets the image's own health path before registering targets.
        HealthCheckPath: DEFAULT_HEALTH_PATH,
        Matcher: { HttpCode: '200-299' },
        Tags: toTagList(tags),
      }),
    );
    const arn = TargetGroups?.[0]?.TargetGroupArn;
    if (arn === undefined) throw new AwsTargetConfigError(`CreateTargetGroup returned no ARN for ${name}`);
    return arn;
  }

  private async createRule(
    host: string,
    baselineArn: string,
    canaryArn: string,
    tags: TagMap,
  ): Promise<void> {
    const rules = await this.listRules();
    const hostOf = (conditions: (typeof rules)[number]['Conditions']) =>
      (conditions ?? []).flatMap((c) =>
        c.Field === 'host-header' ? (c.HostHeaderConfig?.Values ?? c.Values ?? []) : [],
      );
    if (rules.some((rule) => hostOf(rule.Conditions).includes(host))) return; // a retried provision
    const used = new Set(rules.map((rule) => Number(rule.Priority)).filter(Number.isFinite));
    let priority = this.config.rulePriorityFloor;
    // Two runs may pick the same free priority at once: the loser moves to the next one.
    for (let attempt = 0; attempt < 5; attempt++) {
      while (used.has(priority)) priority++;
      if (priority > MAX_RULE_PRIORITY) break;
      try {
        await this.elb.send(
          new CreateRuleCommand({
            ListenerArn: this.config.listenerArn,
            Priority: priority,
            Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: [host] } }],
            Actions: [this.forwardAction(baselineArn, canaryArn, 0)],
            Tags: toTagList(tags),
          }),
        );
        return;
      } catch (error) {
        if (!(error instanceof PriorityInUseException)) throw error;
        used.add(priority);
      }
    }
    throw new AwsTargetConfigError(
      `No free listener rule priority from ${this.config.rulePriorityFloor} on ${this.config.listenerArn}`,
    );
  }

  // ---------------------------------------------------------------- deploy

  /**
   * Launches the baked AMI from the launch template into the slot (no user data: the image is the
   * release), registers the instances in the slot's target group, waits until healthy, routes the
   * canary weight, then deregisters and terminates the instances it replaced.
   */
  async deploy(
    image: Target.ImageRef,
    environment: Target.EnvironmentRef,
    options: Target.DeployOptions,
  ): Promise<Target.EnvironmentDescription> {
    const weight = options.slot === 'canary' ? this.checkWeight(options.weight ?? 0) : undefined;
    const env = await this.resolve(environment, { requireRouting: true });
    const ami = await this.resolveImage(image.id);
    const amiTags = fromTagList(ami.Tags);
    const imageId = amiTags[TAG.imageId] ?? ami.ImageId ?? image.id;
    const version = String(options.version);
    const group = options.slot === 'canary' ? env.canary : env.baseline;

    const healthPath = amiTags[TAG.healthPath] ?? DEFAULT_HEALTH_PATH;
    if (group.healthCheckPath !== healthPath) {
      await this.elb.send(
        new ModifyTargetGroupCommand({ TargetGroupArn: group.arn, HealthCheckPath: healthPath }),
      );
    }

    if (
      options.slot === 'canary' &&
      (await this.slotInstances(env.environment.id, 'baseline')).length === 0
    ) {
      // As on one machine: a canary is judged against a baseline, so there must be one.
      throw new NoBaselineError(env.environment.id);
    }
    const inSlot = await this.slotInstances(env.environment.id, options.slot);
    // A retried deploy (or a redeploy of what already runs) reuses the slot's instances of this release.
    const current = inSlot.filter(
      (i) =>
        i.tags[TAG.imageId] === imageId &&
        i.tags[TAG.version] === version &&
        i.state !== 'stopped' &&
        i.state !== 'stopping',
    );
    const replaced = inSlot.filter((i) => !current.includes(i));
    const launched =
      current.length > 0
        ? current.map((i) => i.id)
        : await this.launch(env, ami, imageId, version, options.slot);

    await waitFor('instances running', this.config.waits.instancesRunning, this.sleep, async () => {
      const instances = await this.findInstances([], launched).catch((error: unknown) => {
        // DescribeInstances is eventually consistent: a just-launched id may not be known yet.
        if (error instanceof Error && error.name === 'InvalidInstanceID.NotFound') return [];
        throw error;
      });
      const states = instances.map((i) => i.state);
      if (states.some((s) => s === 'terminated' || s === 'shutting-down' || s === 'stopped')) {
        throw new ServiceStartError(
          `Instances ${launched.join(', ')} of ${env.environment.id} ended: ${states.join(', ')}`,
        );
      }
      if (states.length === launched.length && states.every((s) => s === 'running'))
        return { done: true, value: undefined };
      return { done: false, state: states.join(',') || 'not found' };
    });
    await this.elb.send(
      new RegisterTargetsCommand({ TargetGroupArn: group.arn, Targets: launched.map((Id) => ({ Id })) }),
    );
    try {
      await waitFor('targets healthy', this.config.waits.targetsHealthy, this.sleep, async () => {
        const { TargetHealthDescriptions } = await this.elb.send(
          new DescribeTargetHealthCommand({
            TargetGroupArn: group.arn,
            Targets: launched.map((Id) => ({ Id })),
          }),
        );
        const states = (TargetHealthDescriptions ?? []).map((d) => d.TargetHealth?.State ?? 'unknown');
        if (states.length === launched.length && states.every((s) => s === 'healthy')) {
          return { done: true, value: undefined };
        }
        return { done: false, state: states.join(',') || 'not registered' };
      });
    } catch (error) {
      if (!(error instanceof WaiterTimeoutError)) throw error;
      throw new ServiceStartError(
        `${env.environment.service} ${version} in ${env.environment.id} (${options.slot}) did not pass the ${healthPath} health check: ${error.lastState}`,
        { cause: error },
      );
    }

    if (weight !== undefined) await this.route(env, weight);
    await this.retire(group.arn, replaced);
    return this.describe(environment);
  }

  private async resolveImage(id: string): Promise<Ec2Image> {
    const { Images } = await this.ec2.send(
      id.startsWith('ami-')
        ? new DescribeImagesCommand({ ImageIds: [id] })
        : new DescribeImagesCommand({
            Owners: ['self'],
            Filters: [{ Name: `tag:${TAG.imageId}`, Values: [id] }],
          }),
    );
    const image = Images?.find((i) => i.State === 'available');
    if (image?.ImageId === undefined) throw new ImageNotFoundError(id);
    return image;
  }

  private async launch(
    env: ResolvedEnvironment,
    ami: Ec2Image,
    imageId: string,
    version: string,
    slot: Target.Slot,
  ): Promise<string[]> {
    const { environment } = env;
    const amiTags = fromTagList(ami.Tags);
    const tags: TagMap = {
      ...costTags(environment.tags, environment.name),
      [TAG.name]: `${environment.service}-${environment.name}-${slot}`,
      [TAG.environmentId]: environment.id,
      [TAG.slot]: slot,
      [TAG.imageId]: imageId,
      [TAG.version]: version,
    };
    const commit = amiTags[TAG.commit];
    if (commit !== undefined) tags[TAG.commit] = commit;
    const { Instances } = await this.ec2.send(
      new RunInstancesCommand({
        ImageId: ami.ImageId,
        LaunchTemplate: {
          LaunchTemplateId: this.config.launchTemplateId,
          Version: this.config.launchTemplateVersion,
        },
        MinCount: this.config.instanceCount,
        MaxCount: this.config.instanceCount,
        TagSpecifications: tagSpecifications(['instance', 'volume'], tags),
      }),
    );
    const ids = (Instances ?? []).flatMap((i) => (i.InstanceId === undefined ? [] : [i.InstanceId]));
    if (ids.length === 0) throw new ServiceStartError(`RunInstances started nothing for ${environment.id}`);
    for (const id of ids) {
      this.record({
        id,
        kind: 'process',
        tags: environment.tags,
        environment: environment.name,
        createdAt: this.now().toISOString(),
      });
    }
    return ids;
  }

  // ---------------------------------------------------------------- weights, promote, rollback

  async shiftWeight(
    environment: Target.EnvironmentRef,
    canaryWeight: number,
  ): Promise<Target.EnvironmentDescription> {
    const weight = this.checkWeight(canaryWeight);
    const env = await this.resolve(environment, { requireRouting: true });
    if (weight > 0 && (await this.slotInstances(env.environment.id, 'canary')).length === 0) {
      throw new NoCanaryError(env.environment.id, `shift ${weight}% of traffic`);
    }
    await this.route(env, weight);
    return this.describe(environment);
  }

  /**
   * The canary's target group becomes the baseline: all traffic to it first, then the old baseline is
   * retired, the promoted instances are retagged, and the two groups swap their `vouch:slot` tags.
   * The old baseline's group is empty afterwards and serves as the next canary slot at weight 0.
   */
  async promote(environment: Target.EnvironmentRef): Promise<Target.EnvironmentDescription> {
    const env = await this.resolve(environment, { requireRouting: true });
    const canaries = await this.slotInstances(env.environment.id, 'canary');
    if (canaries.length === 0) throw new NoCanaryError(env.environment.id, 'promote');
    await this.setWeights(env, { [env.baseline.arn]: 0, [env.canary.arn]: 100 });
    await this.retire(env.baseline.arn, await this.slotInstances(env.environment.id, 'baseline'));
    await this.ec2.send(
      new CreateTagsCommand({
        Resources: canaries.map((i) => i.id),
        Tags: toTagList({ [TAG.slot]: 'baseline' }),
      }),
    );
    await this.elb.send(
      new AddTagsCommand({ ResourceArns: [env.canary.arn], Tags: toTagList({ [TAG.slot]: 'baseline' }) }),
    );
    await this.elb.send(
      new AddTagsCommand({ ResourceArns: [env.baseline.arn], Tags: toTagList({ [TAG.slot]: 'canary' }) }),
    );
    return this.describe(environment);
  }

  /** Canary weight to 0 first (traffic leaves at once), then the canary instances are terminated. */
  async rollback(environment: Target.EnvironmentRef): Promise<Target.EnvironmentDescription> {
    const env = await this.resolve(environment, { requireRouting: true });
    const canaries = await this.slotInstances(env.environment.id, 'canary');
    if (canaries.length === 0 && this.canaryWeightOf(env) === 0) return this.describe(environment);
    await this.route(env, 0);
    await this.retire(env.canary.arn, canaries);
    return this.describe(environment);
  }

  // ---------------------------------------------------------------- destroy

  /**
   * Terminates every instance of an ephemeral environment (by tag), then deletes its listener rule and
   * its two target groups (a group in use by a rule cannot be deleted, so the rule goes first).
   * Destroying what is already gone is a no-op, so `last` may run it after a failed provision.
   */
  async destroy(environment: Target.EnvironmentRef): Promise<void> {
    const { runKey } = parseEnvironmentId(environment.id);
    if (runKey === undefined) throw new EnvironmentProtectedError(environment.id);
    await this.terminateInstances(
      await this.findInstances([{ Name: `tag:${TAG.environmentId}`, Values: [environment.id] }]),
    );
    let env: ResolvedEnvironment;
    try {
      env = await this.resolve(environment, { requireRouting: false });
    } catch (error) {
      if (error instanceof EnvironmentNotFoundError) return;
      throw error;
    }
    if (env.routing?.kind === 'rule') {
      try {
        await this.elb.send(new DeleteRuleCommand({ RuleArn: env.routing.arn }));
      } catch (error) {
        if (!(error instanceof RuleNotFoundException)) throw error;
      }
    }
    for (const arn of [env.baseline.arn, env.canary.arn]) {
      try {
        await this.elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: arn }));
      } catch (error) {
        if (!(error instanceof TargetGroupNotFoundException)) throw error;
      }
    }
    const record = this.records.get(environment.id);
    if (record !== undefined)
      this.records.set(environment.id, { ...record, endedAt: this.now().toISOString() });
  }

  // ---------------------------------------------------------------- describe, resources

  async describe(environment: Target.EnvironmentRef): Promise<Target.EnvironmentDescription> {
    const env = await this.resolve(environment, { requireRouting: false });
    const instances = await this.findInstances([
      { Name: `tag:${TAG.environmentId}`, Values: [environment.id] },
    ]);
    const slotState = (slot: Target.Slot): Target.SlotState | undefined => {
      const first = instances
        .filter((i) => i.slot === slot && (i.state === 'running' || i.state === 'pending'))
        .sort((x, y) => (x.launchTime?.getTime() ?? 0) - (y.launchTime?.getTime() ?? 0))[0];
      if (first === undefined) return undefined;
      return {
        image: first.tags[TAG.imageId] ?? first.imageId ?? '',
        version: first.tags[TAG.version] ?? '',
        url: `http://${first.privateIp ?? 'pending'}:${this.config.servicePort}`,
        since: (first.launchTime ?? this.now()).toISOString(),
      };
    };
    const baseline = slotState('baseline');
    const canary = slotState('canary');
    return {
      environment: env.environment,
      ...(baseline === undefined ? {} : { baseline }),
      ...(canary === undefined ? {} : { canary }),
      weight: this.canaryWeightOf(env),
      proxyUrl: env.environment.proxyUrl,
    };
  }

  /**
   * What this target instance created (a Lambda container's lifetime). On AWS the cost of resources
   * comes from Cost Explorer by tag, not from this list.
   */
  resources(): readonly Target.ResourceRecord[] {
    return [...this.records.values()];
  }

  // ---------------------------------------------------------------- internals

  private checkWeight(weight: number): number {
    // ALB weights are integers (0-999); a percent step is one of them.
    if (!Number.isInteger(weight) || weight < 0 || weight > 100) throw new InvalidWeightError(weight);
    return weight;
  }

  private forwardAction(baselineArn: string, canaryArn: string, canaryWeight: number): Action {
    return {
      Type: 'forward',
      ForwardConfig: {
        TargetGroups: [
          { TargetGroupArn: baselineArn, Weight: 100 - canaryWeight },
          { TargetGroupArn: canaryArn, Weight: canaryWeight },
        ],
      },
    };
  }

  /** Weighted target groups on the ALB: baseline gets 100 - w, canary w. */
  private route(env: ResolvedEnvironment, canaryWeight: number): Promise<void> {
    return this.setWeights(env, { [env.baseline.arn]: 100 - canaryWeight, [env.canary.arn]: canaryWeight });
  }

  private async setWeights(env: ResolvedEnvironment, weights: Record<string, number>): Promise<void> {
    const routing = env.routing;
    if (routing === undefined) throw new RoutingNotFoundError(env.environment.id);
    // Only the forward action changes: an authenticate action before it (Order) stays as it was.
    const forward = routing.actions.find((a) => a.Type === 'forward');
    const arns = Object.keys(weights);
    const replacement: Action = {
      Type: 'forward',
      ...(forward?.Order === undefined ? {} : { Order: forward.Order }),
      ForwardConfig: {
        TargetGroups: arns.map((TargetGroupArn) => ({
          TargetGroupArn,
          Weight: weights[TargetGroupArn] ?? 0,
        })),
      },
    };
    const actions =
      forward === undefined
        ? [...routing.actions, replacement]
        : routing.actions.map((a) => (a === forward ? replacement : a));
    if (routing.kind === 'rule') {
      await this.elb.send(new ModifyRuleCommand({ RuleArn: routing.arn, Actions: actions }));
    } else {
      await this.elb.send(new ModifyListenerCommand({ ListenerArn: routing.arn, DefaultActions: actions }));
    }
  }

  private canaryWeightOf(env: ResolvedEnvironment): number {
    const forward = env.routing?.actions.find((a) => a.Type === 'forward');
    const groups = forward?.ForwardConfig?.TargetGroups ?? [];
    const total = groups.reduce((sum, g) => sum + (g.Weight ?? 1), 0);
    const canary = groups.find((g) => g.TargetGroupArn === env.canary.arn);
    if (canary === undefined || total === 0) return 0;
    return Math.round((100 * (canary.Weight ?? 1)) / total);
  }

  /** Deregisters instances from a slot's group (connection draining starts now) and terminates them. */
  private async retire(targetGroupArn: string, instances: readonly SlotInstance[]): Promise<void> {
    if (instances.length === 0) return;
    await this.elb.send(
      new DeregisterTargetsCommand({
        TargetGroupArn: targetGroupArn,
        Targets: instances.map((i) => ({ Id: i.id })),
      }),
    );
    await this.terminateInstances(instances);
  }

  private async terminateInstances(instances: readonly SlotInstance[]): Promise<void> {
    if (instances.length === 0) return;
    await this.ec2.send(new TerminateInstancesCommand({ InstanceIds: instances.map((i) => i.id) }));
    const endedAt = this.now().toISOString();
    for (const instance of instances) {
      const record = this.records.get(instance.id);
      if (record !== undefined) this.records.set(instance.id, { ...record, endedAt });
    }
  }

  private slotInstances(environmentId: string, slot: Target.Slot): Promise<SlotInstance[]> {
    return this.findInstances([
      { Name: `tag:${TAG.environmentId}`, Values: [environmentId] },
      { Name: `tag:${TAG.slot}`, Values: [slot] },
    ]);
  }

  private async describeInstance(id: string): Promise<Instance | undefined> {
    const { Reservations } = await this.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    return Reservations?.[0]?.Instances?.[0];
  }

  /** Live instances matching the filters (or the given ids, in any state). */
  private async findInstances(filters: Filter[], ids?: readonly string[]): Promise<SlotInstance[]> {
    const found: SlotInstance[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.ec2.send(
        new DescribeInstancesCommand(
          ids === undefined
            ? { Filters: [...filters, { Name: 'instance-state-name', Values: LIVE_STATES }], NextToken }
            : { InstanceIds: [...ids], NextToken },
        ),
      );
      for (const instance of (page.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
        if (instance.InstanceId === undefined) continue;
        const tags = fromTagList(instance.Tags);
        const slot = tags[TAG.slot];
        found.push({
          id: instance.InstanceId,
          slot: slot === 'baseline' || slot === 'canary' ? slot : undefined,
          state: instance.State?.Name ?? 'unknown',
          tags,
          imageId: instance.ImageId,
          privateIp: instance.PrivateIpAddress,
          launchTime: instance.LaunchTime,
        });
      }
      NextToken = page.NextToken;
    } while (NextToken !== undefined);
    return found;
  }

  private async listRules() {
    const rules = [];
    let Marker: string | undefined;
    do {
      const page = await this.elb.send(
        new DescribeRulesCommand({ ListenerArn: this.config.listenerArn, Marker }),
      );
      rules.push(...(page.Rules ?? []));
      Marker = page.NextMarker;
    } while (Marker !== undefined);
    return rules;
  }

  /**
   * Finds an environment's pieces: its two target groups (ephemeral ones by their hashed names,
   * lasting ones among the shared ALB's groups), their roles and cost tags from `vouch:*` tags, and
   * the listener rule (or listener default action) that forwards to them.
   */
  private async resolve(
    ref: Target.EnvironmentRef,
    options: { requireRouting: boolean },
  ): Promise<ResolvedEnvironment> {
    const { service, name, runKey } = parseEnvironmentId(ref.id);
    const ephemeral = runKey !== undefined;
    let groups: TargetGroup[] = [];
    if (ephemeral) {
      const names = ephemeralTargetGroupNames(ref.id);
      try {
        const page = await this.elb.send(new DescribeTargetGroupsCommand({ Names: [names.a, names.b] }));
        groups = page.TargetGroups ?? [];
      } catch (error) {
        if (error instanceof TargetGroupNotFoundException)
          throw new EnvironmentNotFoundError(ref.id, { cause: error });
        throw error;
      }
    } else {
      let Marker: string | undefined;
      do {
        const page = await this.elb.send(
          new DescribeTargetGroupsCommand({ LoadBalancerArn: this.config.loadBalancerArn, Marker }),
        );
        groups.push(...(page.TargetGroups ?? []));
        Marker = page.NextMarker;
      } while (Marker !== undefined);
    }

    const tagged: TargetGroupRef[] = [];
    const arns = groups.flatMap((g) => (g.TargetGroupArn === undefined ? [] : [g.TargetGroupArn]));
    for (let start = 0; start < arns.length; start += DESCRIBE_TAGS_BATCH) {
      const { TagDescriptions } = await this.elb.send(
        new DescribeTagsCommand({ ResourceArns: arns.slice(start, start + DESCRIBE_TAGS_BATCH) }),
      );
      for (const description of TagDescriptions ?? []) {
        const tags = fromTagList(description.Tags);
        if (tags[TAG.environmentId] !== ref.id || description.ResourceArn === undefined) continue;
        const group = groups.find((g) => g.TargetGroupArn === description.ResourceArn);
        tagged.push({ arn: description.ResourceArn, healthCheckPath: group?.HealthCheckPath, tags });
      }
    }
    if (tagged.length === 0) throw new EnvironmentNotFoundError(ref.id);
    const baseline = tagged.filter((g) => g.tags[TAG.slot] === 'baseline');
    const canary = tagged.filter((g) => g.tags[TAG.slot] === 'canary');
    if (
      baseline.length !== 1 ||
      canary.length !== 1 ||
      baseline[0] === undefined ||
      canary[0] === undefined
    ) {
      throw new TargetGroupLayoutError(
        `${ref.id} must have one target group tagged ${TAG.slot}=baseline and one ${TAG.slot}=canary; found ${baseline.length} and ${canary.length}`,
      );
    }

    const ours = new Set([baseline[0].arn, canary[0].arn]);
    const rule = (await this.listRules()).find((r) =>
      (r.Actions ?? []).some((a) => a.Type === 'forward' && forwardTargets(a).some((arn) => ours.has(arn))),
    );
    let routing: Routing | undefined;
    if (rule?.RuleArn !== undefined) {
      const host = (rule.Conditions ?? []).flatMap((c) =>
        c.Field === 'host-header' ? (c.HostHeaderConfig?.Values ?? c.Values ?? []) : [],
      )[0];
      // DescribeRules lists the listener's default action as the rule with IsDefault; it is changed
      // with ModifyListener, never ModifyRule.
      routing = rule.IsDefault
        ? { kind: 'listener', arn: this.config.listenerArn, actions: rule.Actions ?? [] }
        : { kind: 'rule', arn: rule.RuleArn, host, actions: rule.Actions ?? [] };
    }
    if (routing === undefined && options.requireRouting) throw new RoutingNotFoundError(ref.id);

    const host =
      routing?.kind === 'rule' && routing.host !== undefined ? routing.host : this.config.loadBalancerDnsName;
    const tags: ResourceTags = resourceTagsOf(baseline[0].tags);
    return {
      environment: {
        id: ref.id,
        service,
        name,
        ephemeral,
        tags,
        proxyUrl: `${this.config.urlScheme}://${host}`,
        // Lasting groups made by CDK may not carry it: the epoch then says "before Vouch knew".
        createdAt: baseline[0].tags[TAG.createdAt] ?? new Date(0).toISOString(),
      },
      baseline: baseline[0],
      canary: canary[0],
      routing,
    };
  }

  private record(record: Target.ResourceRecord): void {
    this.records.set(record.id, record);
  }
}
