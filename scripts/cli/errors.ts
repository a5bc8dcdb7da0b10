/** Errors of the `vouch` CLI's commands. */
import { join } from 'node:path';

/** Base class: anything a `vouch` command refuses. */
export class CliError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** `vouch run` outside a git repository. */
export class NotAGitRepositoryError extends CliError {
  constructor(dir: string) {
    super(`${dir} is not a git repository: a run builds a commit (git init && git commit first)`);
    this.name = 'NotAGitRepositoryError';
  }
}

/** A local platform already runs on the same state: its build table and processes are its own. */
export class PlatformRunningError extends CliError {
  constructor(home: string, pid: number) {
    super(
      `a local platform (pid ${pid}) is running on ${join(home, '.vouch')}: run the pipe on it with \`vouch trigger\` (a signed push of HEAD), or stop it (Ctrl-C) and run again`,
    );
    this.name = 'PlatformRunningError';
  }
}

/** Arguments a command cannot use (exit code 2). */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
