/**
 * What the sweeper finds and removes of EC2 services (lambdas/core/sweeper/sweep.ts), from the tags
 * the EC2 target writes (lambdas/adapters/aws/target/tags.ts):
 * - a run's test environment: target groups named `vouch-*` and instances tagged
 *   `vouch:environment-id=<service>.<name>.<runKey>`; removed as the destroy task removes it (its bot
 *   schedules and alarms first, then instances, listener rule, target groups);
 * - images: AMIs of this account tagged `vouch:image-id`, with the snapshots CreateImage made; an
 *   image a lasting environment's instance runs is serving. Removed by DeregisterImage, then
 *   DeleteSnapshot of each of its snapshots (deregistering leaves them, and they cost).
 * - a bake's builder instances (`vouch:role=builder`, with the `commit` they bake), which a run
 *   stopped during bake leaves running; terminated as the reconciler terminates them
 *   (Ec2DeployTarget.terminateBuilders) once no running run of the service has that commit.
 * Which runs are running comes from the build table's RUNNING builds whose execution Step Functions
 * still runs (DescribeExecution, as the reconciler asks); their baked images are kept by version.
 */
import {
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  type EC2Client,
  type Image as Ec2Image,
  type Filter,
  type Instance,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { SweepError } from '../../../core/sweeper/errors.ts';
import type { SweepableResource, SweepPorts } from '../../../core/sweeper/sweep.ts';
import { runKeyOf } from '../../../core/target/naming.ts';
import { sfnExecutionRunning } from '../reconcile/deployedReconcile.ts';
import type { ReconcileRegistry } from '../reconcile/registry.ts';
import { fromTagList, TAG } from '../target/tags.ts';

/** DescribeTags takes at most 20 ARNs per call (ELBv2 API reference). */
const DESCRIBE_TAGS_BATCH = 20;
/** Instances in these states still run or can be started again: they are there. */
const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'];

/** `<service>.<name>.<runKey>` -> its parts; undefined for a lasting environment (`<service>.<name>`). */
function perRun(environmentId: string): { service: string; name: string; runKey: string } | undefined {
  const [service, name, ...rest] = environmentId.split('.');
  const runKey = rest.join('.');
  return service && name && runKey ? { service, name, runKey } : undefined;
}

/** Live instances matching `filter`: environments' by `tag-key`, builders by their role tag. */
async function liveInstances(ec2: EC2Client, filter: Filter): Promise<Instance[]> {
  const out: Instance[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ec2.send(
      new DescribeInstancesCommand({
        Filters: [filter, { Name: 'instance-state-name', Values: LIVE_STATES }],
        NextToken,
      }),
    );
    for (const r of page.Reservations ?? []) out.push(...(r.Instances ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

async function allImages(ec2: EC2Client): Promise<Ec2Image[]> {
  const out: Ec2Image[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ec2.send(
      new DescribeImagesCommand({
        Owners: ['self'],
        Filters: [{ Name: 'tag-key', Values: [TAG.imageId] }],
        NextToken,
      }),
    );
    out.push(...(page.Images ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

/** Target groups named `vouch-*` (provision's per-run groups) with their tags. */
async function perRunTargetGroups(elb: ElasticLoadBalancingV2Client) {
  const arns: string[] = [];
  let Marker: string | undefined;
  do {
    const page = await elb.send(new DescribeTargetGroupsCommand({ Marker }));
    for (const g of page.TargetGroups ?? [])
      if (g.TargetGroupArn && g.TargetGroupName?.startsWith('vouch-')) arns.push(g.TargetGroupArn);
    Marker = page.NextMarker;
  } while (Marker);
  const tagged: { arn: string; tags: Record<string, string> }[] = [];
  for (let start = 0; start < arns.length; start += DESCRIBE_TAGS_BATCH) {
    const { TagDescriptions } = await elb.send(
      new DescribeTagsCommand({ ResourceArns: arns.slice(start, start + DESCRIBE_TAGS_BATCH) }),
    );
    for (const d of TagDescriptions ?? [])
      if (d.ResourceArn) tagged.push({ arn: d.ResourceArn, tags: fromTagList(d.Tags) });
  }
  return tagged;
}

export interface Ec2SweepDeps {
  readonly ec2: EC2Client;
  readonly elb: ElasticLoadBalancingV2Client;
  /** Removes a run's test environment as the destroy task does (bots, alarms, then the target). */
  readonly destroyEnvironment: (environmentId: string) => Promise<void>;
}

/** Inventory and remover of EC2 services' leftovers and images. */
export function ec2SweepResources(deps: Ec2SweepDeps): Pick<SweepPorts, 'inventory' | 'remove'> & {
  /** Image ids baked for these versions, from the last inventory. */
  imagesOf(versions: ReadonlyMap<string, ReadonlySet<number>>): Set<string>;
} {
  // Image id (the content hash) -> its AMI and snapshots, from the last inventory.
  const amis = new Map<string, { amiId: string; snapshots: string[] }>();
  // `<service>#<version>` -> image id, from the AMIs' `version` tag (bake writes it).
  const imageVersions = new Map<string, string>();
  return {
    async inventory() {
      const found: SweepableResource[] = [];
      const environments = new Map<string, { createdAt?: string; images: Set<string>; service: string }>();
      const serving = new Set<string>();
      const note = (id: string, service: string, createdAt?: string, image?: string) => {
        const entry = environments.get(id) ?? { images: new Set<string>(), service };
        if (createdAt && (!entry.createdAt || createdAt < entry.createdAt)) entry.createdAt = createdAt;
        if (image) entry.images.add(image);
        environments.set(id, entry);
      };
      for (const group of await perRunTargetGroups(deps.elb)) {
        const id = group.tags[TAG.environmentId];
        const run = id === undefined ? undefined : perRun(id);
        if (id && run) note(id, run.service, group.tags[TAG.createdAt]);
      }
      for (const instance of await liveInstances(deps.ec2, {
        Name: 'tag-key',
        Values: [TAG.environmentId],
      })) {
        const tags = fromTagList(instance.Tags);
        const id = tags[TAG.environmentId] ?? '';
        const image = tags[TAG.imageId];
        const run = perRun(id);
        if (!run) {
          // A lasting environment's instance: the image it runs serves there.
          if (image) serving.add(image);
          continue;
        }
        note(id, run.service, instance.LaunchTime?.toISOString(), image);
      }
      for (const [id, e] of environments) {
        const run = perRun(id);
        if (!run) continue;
        if (e.createdAt === undefined)
          throw new SweepError(`environment ${id} has no ${TAG.createdAt} tag and no launch time`);
        found.push({
          kind: 'environment',
          id,
          service: run.service,
          environment: run.name,
          runKey: run.runKey,
          createdAt: e.createdAt,
          images: [...e.images],
        });
      }
      // Builders: bake tags each with its service and, from a run, the commit it bakes (a builder
      // without a commit was launched outside a run, and no run can be said to own it: left alone).
      for (const instance of await liveInstances(deps.ec2, {
        Name: `tag:${TAG.role}`,
        Values: ['builder'],
      })) {
        const tags = fromTagList(instance.Tags);
        const commit = tags[TAG.commit];
        if (!instance.InstanceId || !tags.service || !commit) continue;
        if (instance.LaunchTime === undefined)
          throw new SweepError(`builder ${instance.InstanceId} has no launch time`);
        found.push({
          kind: 'builder',
          id: instance.InstanceId,
          service: tags.service,
          ...(tags[TAG.environment] ? { environment: tags[TAG.environment] } : {}),
          commit,
          createdAt: instance.LaunchTime.toISOString(),
        });
      }
      amis.clear();
      imageVersions.clear();
      for (const image of await allImages(deps.ec2)) {
        const tags = fromTagList(image.Tags);
        const id = tags[TAG.imageId];
        if (!id || !image.ImageId || !tags.service) continue;
        if (image.CreationDate === undefined)
          throw new SweepError(`image ${image.ImageId} has no CreationDate`);
        amis.set(id, {
          amiId: image.ImageId,
          snapshots: (image.BlockDeviceMappings ?? []).flatMap((m) =>
            m.Ebs?.SnapshotId ? [m.Ebs.SnapshotId] : [],
          ),
        });
        found.push({
          kind: 'image',
          id,
          service: tags.service,
          createdAt: image.CreationDate,
          serving: serving.has(id),
        });
        const version = Number(tags[TAG.version]);
        if (Number.isInteger(version)) imageVersions.set(`${tags.service}#${version}`, id);
      }
      return found;
    },
    imagesOf(versions) {
      const out = new Set<string>();
      for (const [service, set] of versions)
        for (const version of set) {
          const id = imageVersions.get(`${service}#${version}`);
          if (id) out.add(id);
        }
      return out;
    },
    async remove(resource) {
      if (resource.kind === 'environment') return deps.destroyEnvironment(resource.id);
      if (resource.kind === 'builder') {
        // Terminating a terminated instance succeeds (EC2 API reference): gone already is done.
        await deps.ec2.send(new TerminateInstancesCommand({ InstanceIds: [resource.id] }));
        return;
      }
      if (resource.kind !== 'image')
        throw new SweepError(`the EC2 sweeper does not remove ${resource.kind} ${resource.id}`);
      const ami = amis.get(resource.id);
      if (!ami) return; // not seen by this sweep's inventory: gone already
      await deps.ec2.send(new DeregisterImageCommand({ ImageId: ami.amiId }));
      // Deregistering keeps the snapshots (and their cost); each goes after its image.
      for (const SnapshotId of ami.snapshots) await deps.ec2.send(new DeleteSnapshotCommand({ SnapshotId }));
    },
  };
}

export interface RunningRunsDeps {
  readonly builds: {
    listRunningBuilds(
      service: string,
    ): Promise<readonly { execution: string; version: number; commit: string; allocatedAt: string }[]>;
  };
  readonly sfn: Parameters<typeof sfnExecutionRunning>[0];
  readonly stateMachines: Readonly<Record<string, string>>;
  readonly services: ReconcileRegistry;
}

/**
 * The runs Step Functions runs now: RUNNING builds whose execution is RUNNING (DescribeExecution).
 * A run the build table has ended is not running, whatever its execution does; the reconciler ends
 * the build of an execution that ended.
 */
export async function runningRuns(deps: RunningRunsDeps): Promise<{
  runKeys: Set<string>;
  versions: Map<string, Set<number>>;
  /** Per service, the commits of its running runs (whose builders they may be waiting on). */
  commits: Map<string, Set<string>>;
  /** Per service, when its oldest running run was allocated (what it may have published since). */
  since: Map<string, string>;
}> {
  const runKeys = new Set<string>();
  const versions = new Map<string, Set<number>>();
  const commits = new Map<string, Set<string>>();
  const since = new Map<string, string>();
  for (const s of deps.services) {
    const machine = deps.stateMachines[s.flavour];
    if (machine === undefined)
      throw new SweepError(`flavour ${s.flavour} of ${s.service} has no state machine`);
    const running = sfnExecutionRunning(deps.sfn, machine);
    for (const build of await deps.builds.listRunningBuilds(s.service)) {
      if (!(await running(build.execution))) continue;
      runKeys.add(runKeyOf(build.execution));
      versions.set(s.service, (versions.get(s.service) ?? new Set()).add(build.version));
      commits.set(s.service, (commits.get(s.service) ?? new Set()).add(build.commit));
      const oldest = since.get(s.service);
      if (oldest === undefined || build.allocatedAt < oldest) since.set(s.service, build.allocatedAt);
    }
  }
  return { runKeys, versions, commits, since };
}

export interface Ec2SweepPortsDeps extends Ec2SweepDeps, RunningRunsDeps {
  /** Records a sweep (the build table's SWEPT records). */
  readonly record: SweepPorts['record'];
  readonly now?: () => Date;
}

/** The scheduled sweeper's ports on AWS: EC2 resources, running runs from the table and Step Functions. */
export function ec2SweepPorts(deps: Ec2SweepPortsDeps): SweepPorts {
  const resources = ec2SweepResources(deps);
  return {
    inventory: resources.inventory,
    remove: resources.remove,
    async running() {
      const { runKeys, versions, commits } = await runningRuns(deps);
      return { runKeys, bakedImages: resources.imagesOf(versions), commits };
    },
    record: deps.record,
    ...(deps.now ? { now: deps.now } : {}),
  };
}
