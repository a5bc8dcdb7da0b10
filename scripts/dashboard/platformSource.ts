/**
 * The dashboard over the local platform running in this process (`npm start`): the same table reads
 * as everywhere, plus what only this machine has live (both slots' requests from the weighted proxy),
 * the cost ESTIMATE, and the platform's own control path (the one `vouch promote` reaches over HTTP).
 */
import { userInfo } from 'node:os';
import type { ControlAction } from '../../lambdas/core/builds/model.ts';
import type { LocalPlatform } from '../platform/LocalPlatform.ts';
import {
  type ControlPath,
  type DashboardSource,
  localCostView,
  periodFor,
  type SlotPeriod,
  tableReads,
} from './source.ts';

/** Who acts on this machine: the local user, as the CONTROL event records it. */
export const localActor = () => `local:${userInfo().username}`;

/**
 * promote / abort / rollback on the platform in this process (the control API's actions, so the
 * CLI's and the dashboard's), each recorded on the build of the window it acted on, with the local user.
 */
export function platformControl(platform: LocalPlatform, actor = localActor()): ControlPath {
  const recorded = async <T extends object>(
    action: ControlAction,
    service: string,
    environment: string | undefined,
    act: () => Promise<T>,
  ): Promise<T> => {
    const windows = (await platform.status(service)).openWindows.filter(
      (w) => environment === undefined || w.environment === environment,
    );
    const result = await act();
    for (const w of windows) {
      await platform.builds.recordControlAction({
        service,
        version: w.version,
        action,
        environment: w.environment,
        actor,
        result: (('reason' in result ? String(result.reason) : undefined) ?? JSON.stringify(result)).slice(
          0,
          1000,
        ),
      });
    }
    return result;
  };
  return {
    kind: 'local',
    promote: (service, environment) =>
      recorded('promote', service, environment, () => platform.promoteNow(service, environment)),
    abort: (service) => recorded('abort', service, undefined, () => platform.abort(service)),
    rollback: (service, environment) =>
      recorded('rollback', service, environment, () => platform.rollbackNow(service, environment)),
  };
}

export function platformSource(platform: LocalPlatform): DashboardSource {
  let progress = 0;
  platform.onProgress(() => {
    progress++;
  });
  return {
    label: `local platform (${platform.stateDir})`,
    ...tableReads(platform.builds, platform.windows),
    async slotSeries(service, environment, fromMs) {
      const env = platform.target.list().find((e) => e.service === service && e.name === environment);
      if (!env) return undefined;
      const to = Date.now();
      const periodMs = periodFor(fromMs, to);
      const baseline: SlotPeriod[] = [];
      const canary: SlotPeriod[] = [];
      for (let at = fromMs; at < to; at += periodMs) {
        const both = platform.samples.samples(env.id, at, at + periodMs);
        for (const [slot, into] of [
          ['baseline', baseline],
          ['canary', canary],
        ] as const) {
          const side = both[slot];
          const latencies = [...(side.latencyMs ?? [])].sort((a, b) => a - b);
          const errors =
            side.errors && !Array.isArray(side.errors) ? side.errors : { requests: 0, failed: 0 };
          const p = (q: number) =>
            latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
          into.push({
            at,
            requests: latencies.length,
            errors: (errors as { failed: number }).failed,
            ...(latencies.length ? { p50: p(0.5) as number, p99: p(0.99) as number } : {}),
          });
        }
      }
      return { periodMs, baseline, canary };
    },
    clockNow: async () => platform.clock.now(),
    cost: async () => localCostView(platform.resourceJournal),
    // While a run is in progress its windows' series move: a new stamp each second; otherwise only
    // when a run makes progress.
    async stamp() {
      const running = [...platform.executions.values()].some((e) => !e.result);
      return `${progress}:${running ? Math.floor(Date.now() / 1000) : ''}`;
    },
    control: platformControl(platform),
  };
}
