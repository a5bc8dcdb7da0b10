import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readResourceJournal } from '../../lambdas/adapters/local/target/resourceJournal.ts';
import { estimateLocalCost, renderCostTable } from '../../lambdas/core/cost/localEstimate.ts';
import { AWS_OPTIONS, type AwsFlags } from './awsFlags.ts';
import { costHelp, DEFAULT_COST_DAYS, DEFAULT_RESOURCE_JOURNAL } from './commandHelp.ts';
import { findPlatformDir, NO_PLATFORM_HERE } from './platformFile.ts';
import type { CliCommand } from './types.ts';

export const costCommand: CliCommand = {
  ...costHelp,
  async run(argv, ctx) {
    let values: { team?: string; days?: string; journal?: string } & AwsFlags;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: {
          team: { type: 'string' },
          days: { type: 'string' },
          journal: { type: 'string' },
          ...AWS_OPTIONS,
        },
      }));
    } catch (error) {
      ctx.err(`vouch cost: ${(error as Error).message}`);
      return 2;
    }
    const days = values.days === undefined ? DEFAULT_COST_DAYS : Number(values.days);
    if (!Number.isInteger(days) || days < 1) {
      ctx.err(`vouch cost: --days must be a positive integer, got "${values.days}"`);
      return 2;
    }
    if (values.team !== undefined && values.team.trim() === '') {
      ctx.err('vouch cost: --team needs a team name');
      return 2;
    }
    if (values.aws) {
      if (values.journal !== undefined) {
        ctx.err('vouch cost: --journal prices the local platform; --aws reads the deployed one, not both');
        return 2;
      }
      if (values.team === undefined) {
        ctx.err(
          "vouch cost --aws: --team T is required (cost is kept per team: one Query of the team's items)",
        );
        return 2;
      }
      const { costOnAws } = await import('./awsReads.ts'); // the AWS SDK, loaded only for --aws
      return costOnAws(ctx, values, { team: values.team, days });
    }
    const explicit = values.journal ?? ctx.env.VOUCH_RESOURCE_JOURNAL;
    const home = explicit === undefined ? findPlatformDir(ctx.cwd, ctx.env) : ctx.cwd;
    if (home === undefined) {
      ctx.err(NO_PLATFORM_HERE(ctx.cwd));
      return 2;
    }
    const journal = resolve(home, explicit ?? DEFAULT_RESOURCE_JOURNAL);
    const records = readResourceJournal(journal);
    if (values.team !== undefined) {
      const teams = [...new Set(records.map((r) => r.tags.team))].sort();
      if (!teams.includes(values.team)) {
        ctx.err(
          `vouch cost: unknown team "${values.team}"; teams that ran here: ${teams.join(', ') || 'none yet'}`,
        );
        return 2;
      }
    }
    const now = new Date();
    const priced = estimateLocalCost(records, {
      now,
      from: new Date(now.getTime() - days * 86_400_000),
      ...(values.team !== undefined && { team: values.team }),
    });
    // A line with no usage at all is a resource that ended before the window: not part of it.
    const estimate = {
      ...priced,
      lines: priced.lines.filter((l) => Object.values(l.usage).some((v) => v > 0)),
    };
    if (estimate.lines.length === 0) {
      ctx.out(
        `ESTIMATE: no resources${values.team ? ` of team ${values.team}` : ''} recorded in ${journal} over the last ${days} days`,
      );
      return 0;
    }
    for (const line of renderCostTable(estimate)) ctx.out(line);
    return 0;
  },
};
