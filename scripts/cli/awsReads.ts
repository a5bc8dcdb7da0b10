// `vouch status --aws` and `vouch cost --aws`: the deployed build table read with the user's AWS
// credentials, each read one Query (the services index, a service's environments, a page of its
// builds, a team's cost partition), as `history`, `events` and `where --aws` do.

import { BUILDS_PER_PAGE } from '../../lambdas/adapters/dashboard/source.ts';
import { BuildRepository } from '../../lambdas/adapters/dynamo/buildRepository.ts';
import { readTeamCost } from '../../lambdas/adapters/dynamo/costRecords.ts';
import { BuildDataError } from '../../lambdas/core/builds/errors.ts';
import type { Build, EnvironmentState } from '../../lambdas/core/builds/model.ts';
import { CostReadError } from '../../lambdas/core/cost/errors.ts';
import { awsBuildTable } from './aws.ts';
import type { AwsFlags } from './awsFlags.ts';
import { formatTable } from './builds.ts';
import type { CliContext } from './types.ts';

interface ServiceStatus {
  readonly service: string;
  readonly where: Record<string, EnvironmentState>;
  /** Runs in progress among the service's latest builds (one page). */
  readonly running: Build[];
}

/**
 * What runs where and the runs in progress, per service: the services index (one Query, skipped when a
 * service is named), then per service its environments (one Query) and its latest builds (one Query).
 * Exit 0 printed, 1 the table could not be read, 2 no stack or an unknown service.
 */
export async function statusOnAws(
  ctx: CliContext,
  flags: AwsFlags,
  options: { service?: string | undefined; json?: boolean | undefined },
): Promise<number> {
  const deployed = awsBuildTable(ctx, flags);
  if (!deployed) return 2;
  const repo = new BuildRepository({ client: deployed.client, tableName: deployed.tableName });
  try {
    const names = options.service
      ? [options.service]
      : (await repo.listServices()).map((s) => s.service).sort();
    const statuses: ServiceStatus[] = [];
    for (const service of names) {
      const where = await repo.whereRuns(service);
      const builds = (await repo.listBuilds(service, { limit: BUILDS_PER_PAGE })).items;
      // Asked only when both reads came back empty, so each read stays one Query.
      if (options.service && builds.length === 0 && Object.keys(where).length === 0) {
        if (!(await repo.getService(service))) {
          ctx.err(`unknown service "${service}" in table ${deployed.tableName}`);
          return 2;
        }
      }
      statuses.push({ service, where, running: builds.filter((b) => b.status === 'RUNNING') });
    }
    if (options.json) {
      ctx.out(JSON.stringify({ table: deployed.tableName, services: statuses }, null, 2));
      return 0;
    }
    if (statuses.length === 0)
      ctx.out(`no service has run on the deployed platform yet (table ${deployed.tableName})`);
    for (const s of statuses) {
      const where = Object.values(s.where)
        .sort((a, b) => a.environment.localeCompare(b.environment))
        .map((e) => `${e.environment} v${e.version}`);
      ctx.out(`${s.service}: ${where.join(', ') || 'not released yet'}`);
      for (const b of s.running)
        ctx.out(`  run ${b.execution}: v${b.version} RUNNING since ${b.startedAt ?? b.allocatedAt}`);
    }
    return 0;
  } catch (error) {
    if (error instanceof BuildDataError) {
      ctx.err(error.message);
      return 1;
    }
    throw error;
  } finally {
    deployed.client.destroy();
  }
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * A team's cost per service and environment over the last `days` UTC days, as the daily collector
 * recorded it from Cost Explorer: one Query of the team's cost partition.
 * Exit 0 printed (or nothing recorded), 1 the table could not be read, 2 no stack.
 */
export async function costOnAws(
  ctx: CliContext,
  flags: AwsFlags,
  options: { team: string; days: number; now?: Date },
): Promise<number> {
  const deployed = awsBuildTable(ctx, flags);
  if (!deployed) return 2;
  const now = (options.now ?? new Date()).getTime();
  const from = day(now - (options.days - 1) * 86_400_000);
  const to = day(now);
  try {
    const items = await readTeamCost(deployed.client, deployed.tableName, { team: options.team, from, to });
    if (items.length === 0) {
      ctx.out(
        `no cost recorded for team ${options.team} from ${from} to ${to} in ${deployed.tableName}: ` +
          'the cost collector (vouch-cost-collector) records Cost Explorer’s days once a day',
      );
      return 0;
    }
    const lines = new Map<string, { service: string; environment: string; amount: number; unit: string }>();
    for (const item of items) {
      const key = `${item.service}\u0000${item.environment}\u0000${item.unit}`;
      const line = lines.get(key) ?? {
        service: item.service,
        environment: item.environment,
        amount: 0,
        unit: item.unit,
      };
      line.amount += item.amount;
      lines.set(key, line);
    }
    const sorted = [...lines.values()].sort((a, b) => b.amount - a.amount);
    const units = [...new Set(sorted.map((l) => l.unit))];
    const money = (n: number) => n.toFixed(2);
    const rows = sorted.map((l) => [options.team, l.service, l.environment, `${money(l.amount)} ${l.unit}`]);
    // One total per unit (Cost Explorer reports one currency per account; never add two).
    for (const unit of units) {
      const total = sorted.filter((l) => l.unit === unit).reduce((sum, l) => sum + l.amount, 0);
      rows.push(['total', '', '', `${money(total)} ${unit}`]);
    }
    const estimatedDays = [...new Set(items.filter((i) => i.estimated).map((i) => i.day))].sort();
    ctx.out(`COST EXPLORER (recorded by the daily cost collector), ${from} to ${to}`);
    for (const line of formatTable(['TEAM', 'SERVICE', 'ENVIRONMENT', 'COST'], rows)) ctx.out(line);
    if (estimatedDays.length > 0)
      ctx.out(`estimated by Cost Explorer, may still change: ${estimatedDays.join(', ')}`);
    return 0;
  } catch (error) {
    if (error instanceof CostReadError) {
      ctx.err(`${error.message}: ${(error.cause as Error)?.message ?? ''}`);
      return 1;
    }
    throw error;
  } finally {
    deployed.client.destroy();
  }
}
