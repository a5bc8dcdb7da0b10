// The `vouch` command line: one entry, one subcommand per area of the product.
import '../lambdas/adapters/local/polyfills.ts';
import { buildCommands } from './cli/builds.ts';
import { controlCommands } from './cli/control.ts';
import { costCommand } from './cli/cost.ts';
import { dashboardCommand } from './cli/dashboard.ts';
import { judgeCommand } from './cli/judge.ts';
import { runCommand, validateCommand } from './cli/pipe.ts';
import { showCommand } from './cli/show.ts';
import { triggerCommand } from './cli/trigger.ts';
import type { CliCommand, CliContext } from './cli/types.ts';

export const COMMANDS: readonly CliCommand[] = [
  validateCommand,
  showCommand,
  runCommand,
  triggerCommand,
  ...controlCommands,
  ...buildCommands,
  costCommand,
  judgeCommand,
  dashboardCommand(),
];

export function usage(commands: readonly CliCommand[] = COMMANDS): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'vouch: continuous validation for services on AWS and on this machine',
    '',
    'usage: vouch <command> [options]      vouch <command> --help',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Exit codes: 0 ok, 1 the run or verdict failed, 2 bad usage or input.',
  ].join('\n');
}

/** Runs the CLI; returns the exit code. Bad usage prints a reason and the usage, never a stack trace. */
export async function main(argv: string[], ctx: CliContext, commands = COMMANDS): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    ctx.out(usage(commands));
    return name ? 0 : 2;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    ctx.err(`vouch: unknown command "${name}"`);
    ctx.err(usage(commands));
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    ctx.out(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, ctx);
  } catch (e) {
    // parseArgs' own errors (unknown option, missing value) are usage errors.
    if (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS')) {
      ctx.err(`vouch ${name}: ${e.message}`);
      ctx.err(command.usage);
      return 2;
    }
    throw e;
  }
}

/**
 * The folder a command acts on: where the person typed it. `npm run vouch -- …` runs scripts in the
 * project root and passes the typed folder as INIT_CWD; `npx vouch`, `vouch` (npm link) and
 * `node scripts/vouch.mjs` keep the working directory.
 */
export function invocationDir(env: NodeJS.ProcessEnv, cwd: string): string {
  return env.npm_lifecycle_event === 'vouch' && env.INIT_CWD ? env.INIT_CWD : cwd;
}

/**
 * The process entry (scripts/vouch.mjs calls it, however it was started: a bin link, npx, npm run).
 * Output to a closed pipe (`vouch history | head`) ends quietly; an unexpected error prints one line,
 * its cause chain, and exits 1 (VOUCH_DEBUG=1 prints the stack).
 */
export async function runFromProcess(): Promise<void> {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  const write = (stream: NodeJS.WriteStream) => (line: string) => {
    if (!stream.destroyed) stream.write(`${line}\n`);
  };
  try {
    process.exitCode = await main(process.argv.slice(2), {
      cwd: invocationDir(process.env, process.cwd()),
      env: process.env,
      out: write(process.stdout),
      err: write(process.stderr),
    });
  } catch (error) {
    process.stderr.write(`vouch: ${describeError(error)}\n`);
    if (process.env.VOUCH_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    process.exitCode = 1;
  }
}

/** An error and its causes as one readable line. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 4; depth++) {
    parts.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(': ');
}
