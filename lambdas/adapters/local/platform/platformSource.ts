/**
 * The dashboard over the local platform running in this process (`npm start`): the same table reads
 * as everywhere, plus what only this machine has live (both slots' requests from the weighted proxy),
 * the cost ESTIMATE, and the platform's own control path (the one `vouch promote` reaches over HTTP).
 */
import { userInfo } from 'node:os';
import type { ControlAction } from '../../../core/builds/model.ts';
import type { CanaryPeriod } from '../../../core/canary/periods.ts';
import type { ScaledClock } from '../../../core/evidence/clock.ts';
import type { WindowStore } from '../../../core/evidence/windowStore.ts';
import type { SlotSampleRecorder } from '../../../core/target/slotEvidence.ts';
import {
  type ControlPath,
  type DashboardSource,
  localCostView,
  periodFor,
  type SlotPeriod,
  tableReads,
} from '../../dashboard/source.ts';
import type { BuildRepository } from '../../dynamo/buildRepository.ts';
import type { LocalDeployTarget } from '../target/index.ts';
import type { OperatorControls } from './operatorControls.ts';

/**
 * What the dashboard reads of the platform in this process (LocalPlatform has it all): its operator
 * controls, its table, the live slots' samples and its clock.
 */
export interface LocalPlatformView extends OperatorControls {
  readonly stateDir: string;
  readonly builds: BuildRepository;
  readonly windows: WindowStore;
  readonly target: Pick<LocalDeployTarget, 'list'>;
  readonly clock: Pick<ScaledClock, 'now' | 'scale'>;
  readonly samples: Pick<SlotSampleRecorder, 'samples'>;
  readonly executions: ReadonlyMap<string, { readonly result?: unknown }>;
  /** Where the target journals what it creates (priced by the cost estimate). */
  readonly resourceJournal: string;
  onProgress(listener: () => void): () => void;
}

/** Who acts on this machine: the local user, as the CONTROL event records it. */
export const localActor = () => `local:${userInfo().username}`;

/**
 * promote / abort / rollback on the platform in this process (the control API's actions, so the
 * CLI's and the dashboard's), each recorded on the build of the window it acted on, with the local user.
 */
export function platformControl(platform: LocalPlatformView, actor = localActor()): ControlPath {
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

export function platformSource(platform: LocalPlatformView): DashboardSource {
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
      // The judge's own series (one shape here and on AWS): periods on the platform's clock, so the
      // chart's periods are the judge's.
      const scale = platform.clock.scale;
      const periodSeconds = Math.max(1, Math.round((periodFor(fromMs, to) * scale) / 1000));
      const series = platform.samples.samples(env.id, fromMs, to, periodSeconds);
      const slot = (p: CanaryPeriod): SlotPeriod => ({
        at: Date.parse(p.start),
        requests: p.requests,
        errors: p.errors,
        ...(p.requests > 0 ? { p50: p.latencyMs.p50, p99: p.latencyMs.p99 } : {}),
      });
      return {
        periodMs: periodSeconds * 1000,
        baseline: series.baseline.map(slot),
        canary: series.canary.map(slot),
      };
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
