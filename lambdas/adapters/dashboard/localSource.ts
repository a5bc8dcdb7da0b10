/**
 * `vouch dashboard` on this machine: the build table of the running local platform (or `.vouch/data`
 * when none runs), read directly; what only the running platform knows (both slots' live requests,
 * its scaled clock, whether anything changed) and the control actions go through its API, as the
 * CLI's `vouch promote | abort | rollback` do.
 */
import { dirname, join } from 'node:path';
import { BuildRepository } from '../dynamo/buildRepository.ts';
import { DynamoWindowStore } from '../dynamo/windowStore.ts';
import type { LocalTable } from '../local/dynalite.ts';
import { ControlRefusedError, ControlUnavailableError } from './errors.ts';
import {
  type ControlPath,
  type DashboardSource,
  localCostView,
  type SlotSeries,
  tableReads,
} from './source.ts';

/** The running local platform's control API: POST /api/promote | abort | rollback. */
export function httpControl(apiUrl: string, fetchImpl: typeof fetch = fetch): ControlPath {
  const post = async (action: string, body: Record<string, string>) => {
    let response: Response;
    try {
      response = await fetchImpl(`${apiUrl}/api/${action}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    } catch (error) {
      throw new ControlUnavailableError(
        `the local platform at ${apiUrl} does not answer; is npm start running?`,
        {
          cause: error,
        },
      );
    }
    const answer = (await response.json()) as { error?: string };
    if (response.status >= 400) throw new ControlRefusedError(answer.error ?? `refused (${response.status})`);
    return answer;
  };
  return {
    kind: 'local',
    promote: (service, environment) => post('promote', { service, ...(environment ? { environment } : {}) }),
    abort: (service) => post('abort', { service }),
    rollback: (service, environment) => post('rollback', { service, environment }),
  };
}

export interface LocalSourceOptions {
  readonly table: LocalTable;
  /** The running platform's API (`apiUrl` of .vouch/platform.json); absent: read-only, no live series. */
  readonly apiUrl?: string;
  /** The `.vouch` folder (its target/resources.jsonl is priced for the cost view). */
  readonly stateDir: string;
  readonly fetch?: typeof fetch;
}

export function localSource(options: LocalSourceOptions): DashboardSource {
  const builds = new BuildRepository({ client: options.table.client, tableName: options.table.tableName });
  const windows = new DynamoWindowStore({ client: options.table.client, tableName: options.table.tableName });
  const fetchImpl = options.fetch ?? fetch;
  const api = options.apiUrl;
  const platformStamp = async (): Promise<{ stamp: string; now: number } | undefined> => {
    if (!api) return undefined;
    try {
      const response = await fetchImpl(`${api}/api/dashboard/stamp`, { signal: AbortSignal.timeout(2000) });
      return response.ok ? ((await response.json()) as { stamp: string; now: number }) : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    label: api ? `local platform at ${api}` : `local build data in ${options.stateDir} (no platform running)`,
    ...tableReads(builds, windows),
    async slotSeries(service, environment, fromMs) {
      if (!api) return undefined;
      const response = await fetchImpl(
        `${api}/api/dashboard/services/${encodeURIComponent(service)}/windows/${encodeURIComponent(environment)}?from=${fromMs}`,
      );
      if (!response.ok) return undefined;
      return ((await response.json()) as { series: SlotSeries | null }).series ?? undefined;
    },
    cost: async () => localCostView(join(options.stateDir, 'target', 'resources.jsonl')),
    async clockNow() {
      return (await platformStamp())?.now ?? Date.now();
    },
    // Without a platform nothing changes but time: a new stamp every 5 seconds re-reads the page.
    async stamp() {
      return (await platformStamp())?.stamp ?? String(Math.floor(Date.now() / 5000));
    },
    ...(api ? { control: httpControl(api, fetchImpl) } : {}),
  };
}

/** The `.vouch` folder a platform file sits in. */
export const stateDirOf = (platformFile: string) => dirname(platformFile);
