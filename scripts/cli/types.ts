/** One `vouch` subcommand. Each area of the product exports its commands; scripts/vouch.ts registers them. */
export interface CliContext {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

export interface CliCommand {
  readonly name: string;
  /** One line for `vouch --help`. */
  readonly summary: string;
  /** Full usage text for `vouch <name> --help`. */
  readonly usage: string;
  /** Returns the process exit code: 0 ok, 1 the thing failed (a pipeline, a verdict), 2 bad usage or input. */
  run(argv: string[], ctx: CliContext): Promise<number>;
}
