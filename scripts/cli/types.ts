/**
 * One `vouch` subcommand. Each area of the product exports its commands; scripts/vouch.ts lists them
 * by their help (commandHelp.ts) and loads a command's module when it runs.
 */
export interface CliContext {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** What the help prints of a command (scripts/cli/commandHelp.ts holds every command's). */
export interface CommandHelp {
  readonly name: string;
  /** One line for `vouch --help`. */
  readonly summary: string;
  /** Full usage text for `vouch <name> --help`. */
  readonly usage: string;
}

export interface CliCommand extends CommandHelp {
  /** Returns the process exit code: 0 ok, 1 the thing failed (a pipeline, a verdict), 2 bad usage or input. */
  run(argv: string[], ctx: CliContext): Promise<number>;
}
