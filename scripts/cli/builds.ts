// `vouch history`, `vouch events`, `vouch where`: the build data repository of the local platform,
// read through openLocalTable (the running platform's table, or .vouch/data in the working directory).
import { BuildRepository } from '../../lambdas/adapters/dynamo/buildRepository.ts';
import { openLocalTable } from '../../lambdas/adapters/local/buildData.ts';
import type { LocalTable } from '../../lambdas/adapters/local/dynalite.ts';
import { BuildDataError } from '../../lambdas/core/builds/errors.ts';
import type { BuildEvent } from '../../lambdas/core/builds/model.ts';
import type { ServiceSweepRecord } from '../../lambdas/core/sweeper/sweep.ts';
import { awsBuildTable } from './aws.ts';
import { type AwsFlags, takeAwsFlags } from './awsFlags.ts';
import { eventsHelp, historyHelp, whereHelp } from './commandHelp.ts';
import { findPlatformDir, NO_PLATFORM_HERE } from './platformFile.ts';
import type { CliCommand, CliContext } from './types.ts';

/** Lays out rows as aligned columns under a header. */
export function formatTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

async function withRepository(
  ctx: CliContext & { aws?: AwsFlags | undefined },
  work: (repo: BuildRepository) => Promise<number>,
): Promise<number> {
  let table: Pick<LocalTable, 'client' | 'tableName' | 'close'>;
  try {
    if (ctx.aws) {
      const deployed = awsBuildTable(ctx, ctx.aws);
      if (!deployed) return 2;
      table = { ...deployed, close: async () => deployed.client.destroy() };
    } else {
      const home = findPlatformDir(ctx.cwd, ctx.env);
      if (!home) {
        ctx.err(NO_PLATFORM_HERE(ctx.cwd));
        return 2;
      }
      table = await openLocalTable({ cwd: home });
    }
  } catch (error) {
    ctx.err(`Cannot open the local build table: ${(error as Error).message}`);
    return 1;
  }
  try {
    return await work(new BuildRepository({ client: table.client, tableName: table.tableName }));
  } catch (error) {
    if (error instanceof BuildDataError) {
      ctx.err(error.message);
      return 2;
    }
    throw error;
  } finally {
    await table.close();
  }
}

/**
 * Exit 2 with the known names when the build data has never seen `service`. Asked only after a read
 * came back empty, so the reads themselves stay one Query each.
 */
async function knownService(repo: BuildRepository, service: string, ctx: CliContext): Promise<boolean> {
  if (await repo.getService(service)) return true;
  const known = (await repo.listServices()).map((s) => s.service);
  ctx.err(`unknown service "${service}"; the build data knows: ${known.join(', ') || 'none yet'}`);
  return false;
}

function wantsHelp(argv: string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

/** The arguments without the --aws flags, or undefined once the usage is printed (-h, --help). */
function flagsUnlessHelp(
  rawArgv: string[],
  ctx: CliContext,
  usage: string,
): ReturnType<typeof takeAwsFlags> | undefined {
  const flags = takeAwsFlags(rawArgv);
  if (!wantsHelp(flags.argv)) return flags;
  ctx.out(usage);
  return undefined;
}

const short = (commit: string) => (commit ? commit.slice(0, 12) : '-');

export const historyCommand: CliCommand = {
  ...historyHelp,
  async run(rawArgv, ctx) {
    const parsed = flagsUnlessHelp(rawArgv, ctx, this.usage);
    if (parsed === undefined) return 0;
    const { argv, aws } = parsed;
    const positional: string[] = [];
    let limit = 20;
    let cursor: string | undefined;
    let swept = false;
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i] ?? '';
      if (arg === '--swept') {
        swept = true;
      } else if (arg === '--limit' || arg === '--cursor') {
        const value = argv[++i];
        if (value === undefined) {
          ctx.err(`${arg} needs a value\n${this.usage}`);
          return 2;
        }
        if (arg === '--limit') limit = Number(value);
        else cursor = value;
      } else if (arg.startsWith('-')) {
        ctx.err(`Unknown option ${arg}\n${this.usage}`);
        return 2;
      } else {
        positional.push(arg);
      }
    }
    if (positional.length > 1) {
      ctx.err(this.usage);
      return 2;
    }
    const service = positional[0];
    if (swept && !(Number.isInteger(limit) && limit >= 1 && limit <= 100)) {
      ctx.err(`--limit must be a whole number from 1 to 100 (got ${limit})`);
      return 2;
    }
    if (swept && (service === undefined || cursor !== undefined)) {
      ctx.err(`--swept needs a service and takes no --cursor\n${this.usage}`);
      return 2;
    }
    return withRepository({ ...ctx, aws }, async (repo) => {
      if (swept && service !== undefined) {
        const sweeps = await repo.listSweeps(service, argv.includes('--limit') ? limit : 5);
        if (sweeps.length === 0) {
          if (!(await knownService(repo, service, ctx))) return 2;
          ctx.out(`No sweep has removed anything of ${service}.`);
          return 0;
        }
        for (const line of sweepLines(sweeps)) ctx.out(line);
        return 0;
      }
      if (service === undefined) {
        const services = await repo.listServices();
        if (services.length === 0) {
          ctx.out('No services registered yet.');
          return 0;
        }
        const rows = services.map((s) => [
          s.service,
          s.team,
          s.solution,
          String(s.lastVersion || '-'),
          s.repo,
        ]);
        for (const line of formatTable(['SERVICE', 'TEAM', 'SOLUTION', 'LATEST', 'REPO'], rows))
          ctx.out(line);
        return 0;
      }
      const page = await repo.listBuilds(service, { limit, cursor });
      if (page.items.length === 0) {
        if (!(await knownService(repo, service, ctx))) return 2;
        ctx.out(`No builds of ${service}.`);
        return 0;
      }
      const rows = page.items.map((b) => [
        `v${b.version}`,
        b.status,
        short(b.commit),
        b.allocatedAt,
        b.finishedAt ?? b.startedAt ?? '-',
        b.execution,
      ]);
      for (const line of formatTable(
        ['VERSION', 'STATUS', 'COMMIT', 'ALLOCATED', 'LAST UPDATE', 'EXECUTION'],
        rows,
      )) {
        ctx.out(line);
      }
      if (page.cursor) ctx.out(`more: vouch history ${service} --limit ${limit} --cursor ${page.cursor}`);
      return 0;
    });
  },
};

/** What the sweeper removed of a service, newest sweep first, one line per resource. */
export function sweepLines(sweeps: readonly ServiceSweepRecord[]): string[] {
  if (sweeps.length === 0) return [];
  const rows = sweeps.flatMap((s) => [
    ...s.removed.map((r) => [s.at, 'removed', r.kind, r.environment ?? '-', r.id, r.reason]),
    ...s.failed.map((r) => [s.at, 'FAILED', r.kind, r.environment ?? '-', r.id, `${r.reason}: ${r.error}`]),
  ]);
  return formatTable(['AT', 'RESULT', 'KIND', 'ENV', 'ID', 'WHY'], rows);
}

function eventRow(event: BuildEvent): string[] {
  switch (event.kind) {
    case 'RUN':
      return [
        event.at,
        'run',
        event.phase,
        '-',
        event.outcome ?? '',
        event.report ? JSON.stringify(event.report) : '',
      ];
    case 'TASK':
      return [
        event.at,
        `${event.task} (${event.type})`,
        event.phase,
        event.environment ?? '-',
        event.outcome ?? '',
        event.report === undefined ? '' : JSON.stringify(event.report),
      ];
    case 'CONTROL':
      return [event.at, `${event.action} by ${event.actor}`, '', event.environment ?? '-', '', event.result];
    case 'PROMOTION':
      return [event.at, event.label, '', event.environment, '', JSON.stringify(event.evidence)];
  }
}

export const eventsCommand: CliCommand = {
  ...eventsHelp,
  async run(rawArgv, ctx) {
    const parsed = flagsUnlessHelp(rawArgv, ctx, this.usage);
    if (parsed === undefined) return 0;
    const { argv, aws } = parsed;
    const full = argv.includes('--full');
    const args = argv.filter((a) => a !== '--full');
    const [service, rawVersion] = args;
    const version = Number(String(rawVersion ?? '').replace(/^v/, ''));
    if (args.length !== 2 || service === undefined || !Number.isInteger(version) || version < 1) {
      ctx.err(this.usage);
      return 2;
    }
    return withRepository({ ...ctx, aws }, async (repo) => {
      const build = await repo.getBuild(service, version);
      if (!build) {
        if (!(await knownService(repo, service, ctx))) return 2;
        ctx.err(`No build ${service} v${version}.`);
        return 2;
      }
      ctx.out(
        `${service} v${version}  ${build.status}  commit ${build.commit || '-'}  execution ${build.execution}`,
      );
      const events = await repo.listEvents(service, version);
      if (events.length === 0) {
        ctx.out('No events recorded (or all past their retention).');
        return 0;
      }
      const rows = events.map(eventRow);
      const detail = rows.map((r) => r[5] ?? '');
      const cut = rows.map((r) => [
        ...r.slice(0, 5),
        full ? '' : (r[5] ?? '').length > 100 ? `${(r[5] ?? '').slice(0, 99)}…` : (r[5] ?? ''),
      ]);
      const lines = formatTable(
        ['AT', 'WHAT', 'PHASE', 'ENV', 'OUTCOME', full ? '' : 'REPORT / EVIDENCE'],
        cut,
      );
      lines.forEach((line, i) => {
        ctx.out(line);
        const whole = i >= 2 ? detail[i - 2] : '';
        if (full && whole) ctx.out(indentJson(whole));
      });
      if (!full && detail.some((d) => d.length > 100))
        ctx.out(`(cut to one line: vouch events ${service} ${version} --full)`);
      return 0;
    });
  },
};

function indentJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2)
      .split('\n')
      .map((l) => `    ${l}`)
      .join('\n');
  } catch {
    return `    ${text}`;
  }
}

export const whereCommand: CliCommand = {
  ...whereHelp,
  async run(rawArgv, ctx) {
    const parsed = flagsUnlessHelp(rawArgv, ctx, this.usage);
    if (parsed === undefined) return 0;
    const { argv, aws } = parsed;
    const [service] = argv;
    if (argv.length !== 1 || service === undefined) {
      ctx.err(this.usage);
      return 2;
    }
    return withRepository({ ...ctx, aws }, async (repo) => {
      const where = Object.values(await repo.whereRuns(service)).sort((a, b) =>
        a.environment.localeCompare(b.environment),
      );
      if (where.length === 0) {
        if (!(await knownService(repo, service, ctx))) return 2;
        ctx.out(`${service} has not been promoted anywhere yet.`);
        return 0;
      }
      const rows = where.map((e) => [
        e.environment,
        `v${e.version}`,
        short(e.commit),
        e.since,
        e.previousVersion ? `v${e.previousVersion}` : '-',
        e.lastRollback ? `v${e.lastRollback.version} at ${e.lastRollback.at}` : '-',
      ]);
      for (const line of formatTable(
        ['ENV', 'VERSION', 'COMMIT', 'SINCE', 'PREVIOUS', 'LAST ROLLBACK'],
        rows,
      )) {
        ctx.out(line);
      }
      return 0;
    });
  },
};
