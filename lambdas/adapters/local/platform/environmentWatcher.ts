/**
 * What follows a first deploy to an environment on one machine: its alarms are defined in the metric
 * store and its bots scheduled (on AWS the service stack creates both, its bot schedules disabled until
 * the deploy task switches them on: lastingBotSchedules.ts); a destroy stops the bots and,
 * for a run's own test environment, drops its alarms.
 */
import { alarmDefinitions } from '../../../core/evidence/alarms.ts';
import { plannedBots } from '../../../core/evidence/botSchedulePlan.ts';
import type { ServiceSpec } from '../../../core/spec/index.ts';
import { evidenceEnvironment } from '../../../core/target/naming.ts';
import type { DeployTarget, Environment } from '../../../core/target/port.ts';
import type { LocalMetricStore } from '../metrics/metricStore.ts';
import type { LocalScheduler } from '../scheduler.ts';

export interface EnvironmentWatcherDeps {
  /** The spec of a service the platform knows; undefined for any other. */
  readonly specOf: (service: string) => ServiceSpec | undefined;
  readonly metrics: Pick<LocalMetricStore, 'defineAlarms' | 'removeAlarms'>;
  readonly scheduler: Pick<LocalScheduler, 'addBot' | 'removeBot'>;
  /** Where bots read the version they label their metrics with. */
  readonly target: Pick<DeployTarget, 'describe'>;
}

interface Watched {
  readonly service: string;
  readonly key: string;
  readonly scenarios: string[];
  readonly alarms: string[];
}

/** The key an environment's evidence is filed under: per run for an ephemeral one (naming.ts). */
export function evidenceKeyOf(env: Pick<Environment, 'id' | 'service' | 'name' | 'ephemeral'>): string {
  if (!env.ephemeral) return env.name;
  const runKey = env.id.slice(`${env.service}.${env.name}.`.length);
  return evidenceEnvironment(env.name, runKey);
}

export class EnvironmentWatcher {
  private readonly watched = new Map<string, Watched>();
  private readonly versions = new Map<string, string>();

  constructor(private readonly deps: EnvironmentWatcherDeps) {}

  /**
   * The deploy target, plus the watch: bots and alarms start once something runs in an environment
   * (before, every request would be a 502); a destroy stops the bots first.
   */
  watching(target: DeployTarget): DeployTarget {
    const watcher = this;
    const seen = new Set<string>();
    return {
      bake: (r) => target.bake(r),
      provision: (service, environment, options) => target.provision(service, environment, options),
      async deploy(image, environment, options) {
        const described = await target.deploy(image, environment, options);
        if (!seen.has(described.environment.id)) {
          seen.add(described.environment.id);
          watcher.watch(described.environment);
        }
        return described;
      },
      shiftWeight: (e, w) => target.shiftWeight(e, w),
      promote: (e) => target.promote(e),
      rollback: (e) => target.rollback(e),
      async destroy(e) {
        // Bots first: a bot hitting a proxy that is gone would count as the service failing.
        seen.delete(e.id);
        watcher.unwatch(e.id);
        await target.destroy(e);
      },
      describe: (e) => target.describe(e),
      resources: () => target.resources(),
    };
  }

  watch(env: Environment): void {
    const spec = this.deps.specOf(env.service);
    if (!spec) return;
    const key = evidenceKeyOf(env);
    const alarms = alarmDefinitions(spec.alarms, env.service, key);
    this.deps.metrics.defineAlarms(alarms);
    const scenarios: string[] = [];
    // Which bots run for a new environment: the same choice as the schedules on AWS (plannedBots).
    const bots = plannedBots(
      { service: env.service, environment: env.name, baseUrl: env.proxyUrl },
      spec.bots.scenarios,
    );
    for (const { scenario } of bots) {
      const added = this.deps.scheduler.addBot({
        service: env.service,
        environment: env.name,
        evidenceEnvironment: key,
        scenario,
        baseUrl: env.proxyUrl,
        version: () => this.versionIn(env),
      });
      if (added) scenarios.push(scenario.name);
    }
    this.watched.set(env.id, {
      service: env.service,
      key,
      scenarios,
      alarms: env.ephemeral ? alarms.map((a) => a.name) : [],
    });
  }

  unwatch(id: string): void {
    const watched = this.watched.get(id);
    if (!watched) return;
    for (const scenario of watched.scenarios)
      this.deps.scheduler.removeBot(watched.service, watched.key, scenario);
    // A run's own test environment is gone for good: its alarms go with it.
    this.deps.metrics.removeAlarms(watched.alarms);
    this.watched.delete(id);
  }

  private versionIn(env: Environment): string {
    // Read asynchronously and cached: bots only label their metrics with it.
    void this.deps.target.describe(env).then(
      (d) => this.versions.set(env.id, d.baseline?.version ?? ''),
      () => undefined,
    );
    return this.versions.get(env.id) ?? '';
  }
}
