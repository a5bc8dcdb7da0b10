// The `vouch` command line: one entry, one subcommand per area of the product.
import '../lambdas/adapters/local/polyfills.ts';
import { buildCommands } from './cli/builds.ts';
import { controlCommands } from './cli/control.ts';
import { costCommand } from './cli/cost.ts';
import { dashboardCommand } from './cli/dashboard.ts';
import { runCommand, showCommand, validateCommand } from './cli/pipe.ts';
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

const isEntry = process.argv[1] && /vouch\.(ts|mjs)$/.test(process.argv[1]);
if (isEntry) {
  const code = await main(process.argv.slice(2), {
    cwd: process.cwd(),
    env: process.env,
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
  });
  process.exitCode = code;
}
