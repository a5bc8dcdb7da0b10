// The `vouch` command line: one entry, one subcommand per area of the product.
import '../lambdas/adapters/local/polyfills.ts';
import {
  abortHelp,
  costHelp,
  dashboardHelp,
  eventsHelp,
  historyHelp,
  judgeHelp,
  promoteHelp,
  rollbackHelp,
  runHelp,
  showHelp,
  statusHelp,
  triggerHelp,
  validateHelp,
  whereHelp,
} from './cli/commandHelp.ts';
import type { CliCommand, CliContext, CommandHelp } from './cli/types.ts';

/** A command as the table knows it: its help, and how to load the module that runs it. */
export interface CommandEntry {
  readonly help: CommandHelp;
  readonly load: () => Promise<CliCommand>;
}

/**
 * Every command, listed by its help; a command's module loads only when it runs, so `vouch --help`,
 * `vouch <command> --help` and each command start without every other command's dependencies (the
 * AWS SDK clients, dynalite, the local platform, the ASL validator).
 */
export const COMMAND_ENTRIES: readonly CommandEntry[] = [
  { help: validateHelp, load: async () => (await import('./cli/pipe.ts')).validateCommand },
  { help: showHelp, load: async () => (await import('./cli/show.ts')).showCommand },
  { help: runHelp, load: async () => (await import('./cli/pipe.ts')).runCommand },
  { help: triggerHelp, load: async () => (await import('./cli/trigger.ts')).triggerCommand },
  { help: statusHelp, load: async () => (await import('./cli/control.ts')).statusCommand },
  { help: promoteHelp, load: async () => (await import('./cli/control.ts')).promoteCommand },
  { help: abortHelp, load: async () => (await import('./cli/control.ts')).abortCommand },
  { help: rollbackHelp, load: async () => (await import('./cli/control.ts')).rollbackCommand },
  { help: historyHelp, load: async () => (await import('./cli/builds.ts')).historyCommand },
  { help: eventsHelp, load: async () => (await import('./cli/builds.ts')).eventsCommand },
  { help: whereHelp, load: async () => (await import('./cli/builds.ts')).whereCommand },
  { help: costHelp, load: async () => (await import('./cli/cost.ts')).costCommand },
  { help: judgeHelp, load: async () => (await import('./cli/judge.ts')).judgeCommand },
  { help: dashboardHelp, load: async () => (await import('./cli/dashboard.ts')).dashboardCommand() },
];

export const COMMANDS: readonly CliCommand[] = COMMAND_ENTRIES.map(({ help, load }) => ({
  ...help,
  run: async (argv, ctx) => (await load()).run(argv, ctx),
}));

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
