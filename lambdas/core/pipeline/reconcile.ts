/**
 * Reconciliation: what the build data says against what runs. A run the build data has as RUNNING
 * that the engine no longer runs (the platform stopped or crashed under it; on AWS an execution that
 * ended without its cleanup) is ended ABORTED: its deploy locks released (and its place in their
 * queues), its ephemeral environments destroyed, its team told. Then what the build data says runs
 * in each lasting environment is corrected to what the target reports serving.
 *
 * Pure decisions over ports: the local platform runs it at start for each service it registers, with
 * its engine and deploy target; an AWS schedule can run the same function with Step Functions'
 * DescribeExecution as `isRunning` and the EC2 target.
 */
import type { Build, DeployLock, EnvironmentState, RunFinish } from '../builds/model.ts';
import type { NotificationInput } from '../notify/notification.ts';
import { environmentId, runKeyOf } from '../target/naming.ts';

export interface ReconcileEnvironment {
  readonly name: string;
  readonly ephemeral: boolean;
}

export interface ReconcilePorts {
  readonly builds: {
    listRunningBuilds(service: string): Promise<Build[]>;
    recordRunFinished(run: RunFinish): Promise<void>;
    findLock(service: string, environment: string): Promise<DeployLock | undefined>;
    /** Also gives up the owner's place in the lock's queue when it does not hold the lock. */
    releaseLock(request: { service: string; environment: string; owner: string }): Promise<boolean>;
    whereRuns(service: string): Promise<Record<string, EnvironmentState>>;
    getBuild(service: string, version: number): Promise<Pick<Build, 'commit'> | undefined>;
    correctServing(
      service: string,
      environment: string,
      serving: { version: number; commit: string } | undefined,
    ): Promise<boolean>;
  };
  /** Whether the engine still runs this execution (locally: the platform's runs; on AWS: DescribeExecution). */
  isRunning(execution: string): Promise<boolean>;
  /** Destroys an environment by id; a no-op when it is gone. */
  destroyEnvironment(id: string): Promise<void>;
  /**
   * Terminates the builder instances bake launched for this commit of the service (found by their
   * tags), returning their ids; none when nothing of it is left. Without it (a target whose bake
   * launches nothing that outlives its task), no builder is looked for.
   */
  stopBuilders?(service: string, commit: string): Promise<string[]>;
  /** The version an environment serves (all traffic, the baseline), or undefined when nothing serves. */
  serving(service: string, environment: string): Promise<string | undefined>;
  notify(notification: NotificationInput): Promise<void>;
  readonly now?: () => Date;
}

export interface ReconcileReport {
  readonly service: string;
  /** Runs ended ABORTED, with what was freed for each. */
  readonly aborted: {
    readonly execution: string;
    readonly version: number;
    readonly locksReleased: string[];
    readonly destroyed: string[];
    /** Builder instances of its bake that were still up (an execution stopped during bake). */
    readonly builders: string[];
  }[];
  /** Locks held by a run that no longer runs, released. */
  readonly locksReleased: { readonly environment: string; readonly owner: string }[];
  /** Environments whose recorded version was corrected to what they serve. */
  readonly corrected: {
    readonly environment: string;
    readonly recorded: number | null;
    readonly serving: number | null;
  }[];
}

export async function reconcileService(
  service: { service: string; team: string; environments: readonly ReconcileEnvironment[] },
  ports: ReconcilePorts,
): Promise<ReconcileReport> {
  const now = ports.now ?? (() => new Date());
  const name = service.service;
  const lasting = service.environments.filter((e) => !e.ephemeral);
  const ephemeral = service.environments.filter((e) => e.ephemeral);
  const aborted: ReconcileReport['aborted'][number][] = [];

  const running = await ports.builds.listRunningBuilds(name);
  const live = new Set<string>();
  for (const build of running) if (await ports.isRunning(build.execution)) live.add(build.execution);
  // A bake is re-entrant by content: a live run of the same commit may be waiting on the same builder.
  const liveCommits = new Set(running.filter((b) => live.has(b.execution)).map((b) => b.commit));

  for (const build of running) {
    if (live.has(build.execution)) continue;
    const locksReleased: string[] = [];
    for (const env of lasting) {
      if (await ports.builds.releaseLock({ service: name, environment: env.name, owner: build.execution }))
        locksReleased.push(env.name);
    }
    const destroyed: string[] = [];
    for (const env of ephemeral) {
      const id = environmentId(name, env.name, runKeyOf(build.execution));
      await ports.destroyEnvironment(id);
      destroyed.push(id);
    }
    // Stopping an execution does not stop its bake's builder instance (it runs until it is imaged
    // and terminated by the bake that no longer runs): found by its tags, terminated here.
    const builders =
      ports.stopBuilders && !liveCommits.has(build.commit)
        ? await ports.stopBuilders(name, build.commit)
        : [];
    await ports.builds.recordRunFinished({
      execution: build.execution,
      service: name,
      version: build.version,
      outcome: 'ABORTED',
      report: {
        reason: 'the run was not running any more when the platform reconciled (stopped or crashed)',
        locksReleased,
        destroyed,
        ...(builders.length > 0 ? { builders } : {}),
      },
    });
    aborted.push({ execution: build.execution, version: build.version, locksReleased, destroyed, builders });
  }

  // Locks whose holder does not run (it ended without its cleanup, or was just aborted above).
  const locksReleased: ReconcileReport['locksReleased'][number][] = [];
  // An environment whose lock a running run holds is that run's to change: on a schedule (AWS) the
  // reconciler runs beside live releases, and mid-promote the target is ahead of the record.
  const heldByLiveRun = new Set<string>();
  for (const env of lasting) {
    const lock = await ports.builds.findLock(name, env.name);
    if (!lock) continue;
    if (await ports.isRunning(lock.owner)) {
      heldByLiveRun.add(env.name);
    } else if (await ports.builds.releaseLock({ service: name, environment: env.name, owner: lock.owner })) {
      locksReleased.push({ environment: env.name, owner: lock.owner });
    }
  }

  const corrected: ReconcileReport['corrected'][number][] = [];
  const where = await ports.builds.whereRuns(name);
  for (const env of lasting) {
    if (heldByLiveRun.has(env.name)) continue;
    const recorded = where[env.name]?.version;
    const served = await ports.serving(name, env.name);
    const serving = served === undefined ? undefined : Number(served);
    if (recorded === serving) continue;
    const commit = serving === undefined ? undefined : (await ports.builds.getBuild(name, serving))?.commit;
    // A version the build data does not know is not recorded as running (nothing to attribute it to).
    const next = serving !== undefined && commit ? { version: serving, commit } : undefined;
    if (await ports.builds.correctServing(name, env.name, next)) {
      corrected.push({ environment: env.name, recorded: recorded ?? null, serving: next?.version ?? null });
    }
  }

  if (aborted.length > 0 || corrected.length > 0) {
    const at = now().toISOString();
    const lines = [
      ...aborted.map(
        (a) =>
          `v${a.version} (${a.execution}) was still RUNNING: ended ABORTED` +
          `${a.locksReleased.length ? `, locks of ${a.locksReleased.join(', ')} released` : ''}` +
          `${a.destroyed.length ? ', test environment destroyed' : ''}` +
          `${a.builders.length ? `, builder ${a.builders.join(', ')} terminated` : ''}`,
      ),
      ...corrected.map(
        (c) =>
          `${c.environment}: recorded ${c.recorded === null ? 'nothing' : `v${c.recorded}`}, ` +
          `serves ${c.serving === null ? 'nothing' : `v${c.serving}`}; the record now says what serves`,
      ),
    ];
    await ports.notify({
      id: `reconcile#${name}#${at}`,
      service: name,
      team: service.team,
      version: aborted[0]?.version ?? 'none',
      commit: 'none',
      environment: 'platform',
      event: 'RECONCILED',
      verdict: { outcome: 'FAIL', summary: lines.join('\n').slice(0, 2000) },
      window: { start: at, end: at },
    });
  }
  return { service: name, aborted, locksReleased, corrected };
}
