/**
 * The sweeper: removes what runs left behind. Reconcile (lambdas/core/pipeline/reconcile.ts) ends
 * runs the build data still has as RUNNING; the sweeper looks at the resources themselves, whatever
 * the build data says, because a resource can outlive its run in ways no record shows (a destroy
 * that failed after the run ended, a crash between a create and its record, a run ended by hand).
 *
 * Two rules, decided here as pure data over ports (an inventory of tagged resources, the runs that
 * are running), so the local platform and the scheduled Lambda sweep the same way:
 * - a per-run resource (test environment, instance, target group, alias, schedule, alarm, window: it
 *   carries its run's key; a lasting environment's canary: its lock holder's) is removed once its
 *   run is not running, unless it is younger than the grace period (a run that has just started
 *   may not be readable as running yet); a bake's builder carries its commit instead, and is removed
 *   once no running run of its service has that commit, after the same grace;
 * - images (AMIs, image folders, function versions) are kept for rollback: per service, every image
 *   an environment serves or a running run baked, and the newest `keepImages` besides; older ones are
 *   removed.
 * Nothing a running run owns is ever removed, and every decision comes back with its reason.
 */
import { SweepError } from './errors.ts';

export type SweptKind =
  | 'environment'
  /** A canary slot of a lasting environment (qa, prod): its run is the environment's lock holder. */
  | 'canary'
  | 'instance'
  /** A bake's builder instance: owned by its service and commit, not by one run. */
  | 'builder'
  | 'targetGroup'
  | 'listenerRule'
  | 'alias'
  | 'schedule'
  | 'window'
  | 'alarm'
  | 'image'
  | 'functionVersion';

/** What the inventory found, with what its tags say about who owns it. */
export interface SweepableResource {
  readonly kind: SweptKind;
  /** The id the remover takes back (an instance id, an ARN, an environment id, an image id). */
  readonly id: string;
  readonly service: string;
  /** The environment it belongs to (`test`, `qa`), when it belongs to one: how a sweep is reported. */
  readonly environment?: string;
  /** The run that created it (its run key, `runKeyOf(execution)`); absent for images and lasting resources. */
  readonly runKey?: string;
  /**
   * A bake's builder: the commit it bakes (it has no run key). Bake is re-entrant by content, so a
   * later run of the same commit waits on the builder an earlier one launched: any running run of
   * its service with this commit owns it (as the reconciler decides, core/pipeline/reconcile.ts).
   */
  readonly commit?: string;
  /** ISO 8601. */
  readonly createdAt: string;
  /** Images only: a lasting environment serves it (baseline or canary) right now. */
  readonly serving?: boolean;
  /** Per-run resources: the images they run (a test environment's versions); in use while it is kept. */
  readonly images?: readonly string[];
}

export interface SweepPolicy {
  /** Images kept per service besides those serving, newest first. @default 3 */
  readonly keepImages?: number;
  /** Per-run resources younger than this are left alone whatever their run's state. @default 15 minutes */
  readonly graceMs?: number;
}

export interface SweepDecision {
  readonly resource: SweepableResource;
  readonly reason: string;
}

export interface SweepPlan {
  readonly remove: readonly SweepDecision[];
  readonly keep: readonly SweepDecision[];
}

export const DEFAULT_KEEP_IMAGES = 3;
/**
 * The run key of a canary whose environment's lock nobody holds: a canary is deployed only under the
 * lock (tasks.ts requireLock) and leaves with its promote or rollback, so no running run owns it.
 */
export const NO_LOCK_HOLDER = 'no-lock-holder';
export const DEFAULT_SWEEP_GRACE_MS = 15 * 60_000;

const IMAGE_KINDS: ReadonlySet<SweptKind> = new Set(['image', 'functionVersion']);

/** What the engine runs now, as the sweeper's ports read it after the inventory. */
export interface RunningRuns {
  /** Run keys of the runs the engine runs now. */
  readonly runKeys: ReadonlySet<string>;
  /**
   * Image ids those runs baked: kept even when older than the newest `keepImages` (a long run may
   * not have deployed its image yet). @default none
   */
  readonly bakedImages?: ReadonlySet<string>;
  /** Per service, the commits those runs release (what their bakes' builders bake). @default none */
  readonly commits?: ReadonlyMap<string, ReadonlySet<string>>;
}

/** What to remove and what to keep, with the reason for each, given what runs now. */
export function planSweep(
  resources: readonly SweepableResource[],
  running: RunningRuns,
  now: Date,
  policy: SweepPolicy = {},
): SweepPlan {
  const bakedByRunning = running.bakedImages ?? new Set<string>();
  const keepImages = policy.keepImages ?? DEFAULT_KEEP_IMAGES;
  const graceMs = policy.graceMs ?? DEFAULT_SWEEP_GRACE_MS;
  if (!Number.isInteger(keepImages) || keepImages < 1)
    throw new SweepError(
      `keepImages must be a whole number >= 1 (rollback needs the previous image), got ${keepImages}`,
    );
  if (!(graceMs >= 0)) throw new SweepError(`graceMs must be >= 0, got ${graceMs}`);

  const remove: SweepDecision[] = [];
  const keep: SweepDecision[] = [];
  const ageMs = (r: SweepableResource) => {
    const created = Date.parse(r.createdAt);
    if (Number.isNaN(created))
      throw new SweepError(`${r.kind} ${r.id} has no readable creation time: ${r.createdAt}`);
    return now.getTime() - created;
  };

  // Every resource dated first: an undated image would otherwise be ordered anywhere.
  for (const resource of resources) ageMs(resource);
  const images = new Map<string, SweepableResource[]>();
  for (const resource of resources) {
    if (IMAGE_KINDS.has(resource.kind)) {
      images.set(resource.service, [...(images.get(resource.service) ?? []), resource]);
      continue;
    }
    const grace = `younger than the ${Math.round(graceMs / 60_000)} min grace period`;
    if (resource.commit !== undefined) {
      const commit = `run of ${resource.service} releases its commit ${resource.commit.slice(0, 12)}`;
      if (running.commits?.get(resource.service)?.has(resource.commit)) {
        keep.push({ resource, reason: `a running ${commit}` });
      } else if (ageMs(resource) < graceMs) {
        keep.push({ resource, reason: grace });
      } else {
        remove.push({ resource, reason: `no running ${commit}` });
      }
    } else if (resource.runKey === undefined) {
      keep.push({ resource, reason: 'not a per-run resource' });
    } else if (running.runKeys.has(resource.runKey)) {
      keep.push({ resource, reason: `its run ${resource.runKey} is running` });
    } else if (ageMs(resource) < graceMs) {
      keep.push({ resource, reason: grace });
    } else {
      remove.push({ resource, reason: `its run ${resource.runKey} ended` });
    }
  }

  // An image a kept per-run resource runs is in use; one only a removed resource ran is not.
  const inUse = new Set(keep.flatMap((d) => d.resource.images ?? []));
  for (const [service, list] of images) {
    const newestFirst = [...list].sort((a, b) => ageMs(a) - ageMs(b));
    let kept = 0;
    for (const resource of newestFirst) {
      if (resource.serving) {
        keep.push({ resource, reason: 'an environment serves it' });
      } else if (inUse.has(resource.id)) {
        keep.push({ resource, reason: 'a kept test environment runs it' });
      } else if (bakedByRunning.has(resource.id)) {
        keep.push({ resource, reason: 'a running run baked it' });
      } else if (kept < keepImages) {
        kept++;
        keep.push({
          resource,
          reason: `one of the ${keepImages} newest images of ${service}, kept for rollback`,
        });
      } else {
        remove.push({ resource, reason: `older than the ${keepImages} newest images of ${service}` });
      }
    }
  }
  return { remove, keep };
}

export interface SweepPorts {
  /** Every resource Vouch created that still exists, with its owner tags. */
  inventory(): Promise<SweepableResource[]>;
  /** The runs the engine runs now, with the images they baked and the commits they release. */
  running(): Promise<RunningRuns>;
  /** Removes one resource; gone already is done. */
  remove(resource: SweepableResource): Promise<void>;
  /** Records the sweep (an event in the build data). */
  record(report: SweepReport): Promise<void>;
  readonly now?: () => Date;
}

export interface SweepReport {
  readonly at: string;
  readonly removed: readonly SweepDecision[];
  /** Removals that failed, with the error; the next sweep tries again. */
  readonly failed: readonly (SweepDecision & { readonly error: string })[];
  readonly kept: number;
}

/**
 * One sweep: inventory, decide, remove, record. The running runs are read after the inventory, so a
 * run that starts in between is seen as running (its resources are newer than the inventory anyway).
 */
export async function sweep(ports: SweepPorts, policy: SweepPolicy = {}): Promise<SweepReport> {
  const now = ports.now ?? (() => new Date());
  const resources = await ports.inventory();
  const plan = planSweep(resources, await ports.running(), now(), policy);
  const removed: SweepDecision[] = [];
  const failed: (SweepDecision & { error: string })[] = [];
  for (const decision of plan.remove) {
    try {
      await ports.remove(decision.resource);
      removed.push(decision);
    } catch (error) {
      failed.push({ ...decision, error: error instanceof Error ? error.message : String(error) });
    }
  }
  const report: SweepReport = { at: now().toISOString(), removed, failed, kept: plan.keep.length };
  if (removed.length > 0 || failed.length > 0) await ports.record(report);
  return report;
}

/** One service's part of a sweep, as the build data keeps it (`vouch history <service>` shows it). */
export interface ServiceSweepRecord {
  readonly service: string;
  readonly at: string;
  readonly removed: readonly SweptItem[];
  readonly failed: readonly (SweptItem & { readonly error: string })[];
}

export interface SweptItem {
  readonly kind: SweptKind;
  readonly id: string;
  readonly environment?: string;
  readonly runKey?: string;
  readonly reason: string;
}

const sweptItem = (d: SweepDecision): SweptItem => ({
  kind: d.resource.kind,
  id: d.resource.id,
  ...(d.resource.environment === undefined ? {} : { environment: d.resource.environment }),
  ...(d.resource.runKey === undefined ? {} : { runKey: d.resource.runKey }),
  reason: d.reason,
});

/** A sweep report split per service, for the build data (one record per service it touched). */
export function sweepRecordsByService(report: SweepReport): ServiceSweepRecord[] {
  const services = new Set([...report.removed, ...report.failed].map((d) => d.resource.service));
  return [...services].sort().map((service) => ({
    service,
    at: report.at,
    removed: report.removed.filter((d) => d.resource.service === service).map(sweptItem),
    failed: report.failed
      .filter((d) => d.resource.service === service)
      .map((d) => ({ ...sweptItem(d), error: d.error })),
  }));
}
