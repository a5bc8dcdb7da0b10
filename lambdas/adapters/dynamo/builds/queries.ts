/**
 * Reads of the build data: builds, timelines, what runs where, failures, running builds.
 */
import {
  type Build,
  type BuildEvent,
  type EnvironmentState,
  type Failure,
  type Page,
  type PageRequest,
  parseBuildRef,
} from '../../../core/builds/model.ts';
import { keys } from '../keys.ts';
import { BUILD_TABLE_SCHEMA } from '../tableSchema.ts';
import {
  BUILD_LIST_ATTRIBUTES,
  MAX_PAGE,
  projection,
  projectionNames,
  toBuild,
  toEvent,
  toFailure,
} from './items.ts';
import type { BuildTable } from './table.ts';

export class BuildQueries {
  constructor(private readonly table: BuildTable) {}

  async getBuild(service: string, version: number): Promise<Build | undefined> {
    const ref = parseBuildRef(service, version);
    const item = await this.table.get('getBuild', keys.build(ref.service, ref.version), [
      ...BUILD_LIST_ATTRIBUTES,
      'pipeShape',
    ]);
    return item ? toBuild(item) : undefined;
  }

  /** Builds of a service, newest first, paged. */
  async listBuilds(service: string, page: PageRequest = {}): Promise<Page<Build>> {
    const pk = keys.service(service).pk;
    return this.table.queryPage('listBuilds', page, pk, toBuild, {
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk', ...projectionNames(BUILD_LIST_ATTRIBUTES) },
      ExpressionAttributeValues: { ':pk': pk, ':prefix': 'BUILD#' },
      ProjectionExpression: projection(BUILD_LIST_ATTRIBUTES),
      ScanIndexForward: false,
    });
  }

  /** Builds of a team across its services, newest first, paged. */
  async listTeamBuilds(team: string, page: PageRequest = {}): Promise<Page<Build>> {
    const gpk = keys.teamIndex(team);
    return this.table.queryPage('listTeamBuilds', page, gpk, toBuild, {
      IndexName: 'gsi1',
      KeyConditionExpression: '#gpk = :gpk',
      ExpressionAttributeNames: { '#gpk': 'gsi1pk', ...projectionNames(BUILD_LIST_ATTRIBUTES) },
      ExpressionAttributeValues: { ':gpk': gpk },
      ProjectionExpression: projection(BUILD_LIST_ATTRIBUTES),
      ScanIndexForward: false,
    });
  }

  /** The timeline of a build in time order: run start/done, task start/done, promotions. */
  async listEvents(service: string, version: number): Promise<BuildEvent[]> {
    const ref = parseBuildRef(service, version);
    const items = await this.table.queryAll('listEvents', {
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      // DynamoDB deletes expired items lazily (and dynalite never does): hide them here.
      FilterExpression: 'attribute_not_exists(#expiresAt) OR #expiresAt > :now',
      ExpressionAttributeNames: {
        '#pk': 'pk',
        '#sk': 'sk',
        '#expiresAt': BUILD_TABLE_SCHEMA.timeToLiveAttribute,
      },
      ExpressionAttributeValues: {
        ':pk': keys.timeline(ref.service, ref.version),
        ':prefix': 'EV#',
        ':now': this.table.nowEpochSeconds(),
      },
      ScanIndexForward: true,
    });
    return items.map(toEvent);
  }

  /** What version runs in each environment of a service. */
  async whereRuns(service: string): Promise<Record<string, EnvironmentState>> {
    const pk = keys.service(service).pk;
    const items = await this.table.queryAll('whereRuns', {
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
      ExpressionAttributeValues: { ':pk': pk, ':prefix': 'ENV#' },
    });
    const where: Record<string, EnvironmentState> = {};
    for (const item of items) {
      const state: EnvironmentState = {
        environment: String(item.environment),
        version: Number(item.version),
        commit: String(item.commit),
        since: String(item.since),
        previousVersion: Number(item.previousVersion ?? 0),
        ...(item.lastRollback ? { lastRollback: item.lastRollback as { version: number; at: string } } : {}),
      };
      where[state.environment] = state;
    }
    return where;
  }

  /** Failed tasks of a team's builds, newest first, within the event retention. */
  async recentFailures(team: string, page: PageRequest = {}): Promise<Page<Failure>> {
    const gpk = keys.failuresIndex(team);
    return this.table.queryPage('recentFailures', page, gpk, toFailure, {
      IndexName: 'gsi1',
      KeyConditionExpression: '#gpk = :gpk',
      FilterExpression: 'attribute_not_exists(#expiresAt) OR #expiresAt > :now',
      ExpressionAttributeNames: { '#gpk': 'gsi1pk', '#expiresAt': BUILD_TABLE_SCHEMA.timeToLiveAttribute },
      ExpressionAttributeValues: { ':gpk': gpk, ':now': this.table.nowEpochSeconds() },
      ScanIndexForward: false,
    });
  }

  /**
   * Builds of a service that are RUNNING, newest first (a Query over its builds, bounded to the most
   * recent `limit`): what the reconciler compares with the runs the engine still has.
   */
  async listRunningBuilds(service: string, limit = 200): Promise<Build[]> {
    const running: Build[] = [];
    let cursor: string | undefined;
    for (let seen = 0; seen < limit; ) {
      const page = await this.listBuilds(service, { limit: Math.min(MAX_PAGE, limit - seen), cursor });
      seen += page.items.length;
      running.push(...page.items.filter((b) => b.status === 'RUNNING'));
      cursor = page.cursor;
      if (!cursor || page.items.length === 0) break;
    }
    return running;
  }
}
