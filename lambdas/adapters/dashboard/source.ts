/**
 * What the dashboard reads and does, wherever Vouch runs. Every table read is one request by key
 * (a Query, or a GetItem for one item): none pages through history, so the page costs the same with
 * 1,000 builds or 100,000 (scripts/bench/dashboard.ts measures it).
 */
import { existsSync } from 'node:fs';
import type { Build, BuildEvent, EnvironmentState, RegisteredService } from '../../core/builds/model.ts';
import { estimateLocalCost } from '../../core/cost/localEstimate.ts';
import type { OpenWindow, WindowStore } from '../../core/evidence/windowStore.ts';
import type { BuildRepository } from '../dynamo/buildRepository.ts';
import { readResourceJournal } from '../local/target/resourceJournal.ts';

/** promote / abort / rollback: the one control path the CLI and the dashboard's buttons share. */
export interface ControlPath {
  /** Who the platform will record as the person acting (a local user, or an AWS principal's ARN). */
  readonly kind: 'local' | 'aws';
  promote(service: string, environment?: string): Promise<unknown>;
  abort(service: string): Promise<unknown>;
  rollback(service: string, environment: string): Promise<unknown>;
}

/** One slot's requests in one period of a live window. */
export interface SlotPeriod {
  readonly at: number;
  readonly requests: number;
  readonly errors: number;
  readonly p50?: number;
  readonly p99?: number;
}

export interface SlotSeries {
  readonly periodMs: number;
  readonly baseline: readonly SlotPeriod[];
  readonly canary: readonly SlotPeriod[];
}

/** Cost over time: cumulative USD per key at each point. */
export interface CostView {
  readonly label: 'ESTIMATE' | 'COST EXPLORER';
  readonly points: readonly string[];
  readonly byTeam: Readonly<Record<string, readonly number[]>>;
  readonly byService: Readonly<Record<string, readonly number[]>>;
  readonly note: string;
}

export interface DashboardSource {
  /** Shown in the page header: where this dashboard looks. */
  readonly label: string;
  listServices(): Promise<RegisteredService[]>;
  whereRuns(service: string): Promise<Record<string, EnvironmentState>>;
  listBuilds(service: string): Promise<Build[]>;
  getBuild(service: string, version: number): Promise<Build | undefined>;
  listEvents(service: string, version: number): Promise<BuildEvent[]>;
  findOpenWindow(service: string, environment: string): Promise<OpenWindow | undefined>;
  /** Both slots' requests per period since `fromMs`; undefined where no live series is available. */
  slotSeries(service: string, environment: string, fromMs: number): Promise<SlotSeries | undefined>;
  cost(): Promise<CostView>;
  /** The platform's clock (scaled on one machine), for a window's time left. */
  clockNow(): Promise<number>;
  /** Cheap (no table read): changes when something the page shows may have changed. */
  stamp(): Promise<string>;
  readonly control?: ControlPath;
}

/** Builds shown per service: one page of one Query. */
export const BUILDS_PER_PAGE = 20;

/** The table reads of a dashboard source, from the build data repository and the window store. */
export function tableReads(
  builds: BuildRepository,
  windows: Pick<WindowStore, 'findOpenWindow'>,
): Pick<
  DashboardSource,
  'listServices' | 'whereRuns' | 'listBuilds' | 'getBuild' | 'listEvents' | 'findOpenWindow'
> {
  return {
    listServices: () => builds.listServices(),
    whereRuns: (service) => builds.whereRuns(service),
    listBuilds: async (service) => (await builds.listBuilds(service, { limit: BUILDS_PER_PAGE })).items,
    getBuild: (service, version) => builds.getBuild(service, version),
    listEvents: (service, version) => builds.listEvents(service, version),
    findOpenWindow: (service, environment) => windows.findOpenWindow(service, environment),
  };
}

/** The period a live chart uses: about 12 periods over what has passed, never under 250 ms. */
export function periodFor(fromMs: number, toMs: number): number {
  return Math.max(250, Math.ceil((toMs - fromMs) / 12));
}

/**
 * The local cost ESTIMATE over time: the resource journal priced at 12 points from its first record
 * to now (cumulative), per team and per service.
 */
export function localCostView(journalFile: string, now = new Date()): CostView {
  const journal = existsSync(journalFile) ? readResourceJournal(journalFile) : [];
  const first = Math.min(...journal.map((r) => Date.parse(r.createdAt)), now.getTime());
  const points: string[] = [];
  const byTeam: Record<string, number[]> = {};
  const byService: Record<string, number[]> = {};
  const steps = 12;
  for (let i = 1; i <= steps; i++) {
    const at = new Date(first + ((now.getTime() - first) * i) / steps);
    const estimate = estimateLocalCost(journal, { now: at });
    points.push(at.toISOString());
    const add = (into: Record<string, number[]>, key: string, usd: number) => {
      const series = into[key] ?? new Array<number>(steps).fill(0);
      series[i - 1] = usd;
      into[key] = series;
    };
    for (const t of estimate.byTeam) add(byTeam, t.key, t.usd);
    for (const s of estimate.byService) add(byService, s.key, s.usd);
  }
  return {
    label: 'ESTIMATE',
    points,
    byTeam,
    byService,
    note: 'ESTIMATE, not a bill: local resource time priced by the local price table',
  };
}
