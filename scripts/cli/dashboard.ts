// `vouch dashboard`: the dashboard on 127.0.0.1 over the local platform's build data (like
// `kubectl argo rollouts dashboard`); with --aws over the deployed platform's table (see dashboardAws).
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { awsSource, resolveAwsStack } from '../../lambdas/adapters/dashboard/aws.ts';
import { AwsStackNotFoundError } from '../../lambdas/adapters/dashboard/errors.ts';
import { localSource, stateDirOf } from '../../lambdas/adapters/dashboard/localSource.ts';
import { type DashboardServer, startDashboardServer } from '../../lambdas/adapters/dashboard/server.ts';
import type { DashboardSource } from '../../lambdas/adapters/dashboard/source.ts';
import { openLocalTable } from '../../lambdas/adapters/local/buildData.ts';
import type { LocalTable } from '../../lambdas/adapters/local/dynalite.ts';
import { dashboardHelp } from './commandHelp.ts';
import { findPlatformApi } from './control.ts';
import { findPlatformFile } from './platformFile.ts';
import type { CliCommand, CliContext } from './types.ts';

export interface DashboardHandle {
  readonly url: string;
  close(): Promise<void>;
}

/** Opens the source and serves it; the caller decides when to close (tests, or Ctrl-C). */
export async function openDashboard(
  ctx: CliContext,
  options: { port: number; aws?: { stack?: string | undefined; outputs?: string | undefined } },
): Promise<DashboardHandle> {
  if (options.aws) {
    const stack = resolveAwsStack({ cwd: ctx.cwd, env: ctx.env, ...options.aws });
    return startDashboardServer(awsSource(stack), options.port);
  }
  const platformFile = findPlatformFile(ctx.cwd);
  const stateDir = platformFile ? stateDirOf(platformFile) : join(ctx.cwd, '.vouch');
  const table: LocalTable = await openLocalTable({ cwd: platformFile ? join(stateDir, '..') : ctx.cwd });
  const apiUrl = ctx.env.VOUCH_API_URL ?? findPlatformApi(ctx.cwd);
  const source: DashboardSource = localSource({ table, stateDir, ...(apiUrl ? { apiUrl } : {}) });
  let server: DashboardServer;
  try {
    server = await startDashboardServer(source, options.port);
  } catch (error) {
    await table.close();
    throw error;
  }
  return {
    url: server.url,
    close: async () => {
      await server.close();
      await table.close();
    },
  };
}

/** Waits for Ctrl-C (SIGINT) or SIGTERM. */
const untilStopped = () =>
  new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });

export function dashboardCommand(wait: () => Promise<void> = untilStopped): CliCommand {
  return {
    ...dashboardHelp,
    async run(argv, ctx) {
      const { values, positionals } = parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          port: { type: 'string', default: '0' },
          aws: { type: 'boolean', default: false },
          stack: { type: 'string' },
          outputs: { type: 'string' },
        },
      });
      const port = Number(values.port);
      if (positionals.length > 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
        ctx.err(dashboardHelp.usage);
        return 2;
      }
      let handle: DashboardHandle;
      try {
        handle = await openDashboard(ctx, {
          port,
          ...(values.aws ? { aws: { stack: values.stack, outputs: values.outputs } } : {}),
        });
      } catch (error) {
        ctx.err(`vouch dashboard: ${(error as Error).message}`);
        return error instanceof AwsStackNotFoundError ? 2 : 1;
      }
      ctx.out(`Vouch dashboard: ${handle.url}  (Ctrl-C stops it)`);
      await wait();
      await handle.close();
      return 0;
    },
  };
}
