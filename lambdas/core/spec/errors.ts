/** A place in a YAML file, 1-based. */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** One problem in a spec file, located at a line and column. */
export interface SpecProblem extends SourcePosition {
  /** Dotted path of the offending value, e.g. `canary.steps[2]`; empty for the document itself. */
  readonly path: string;
  readonly message: string;
}

export function formatProblem(p: SpecProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

/** A spec file that is not valid: YAML syntax, schema, or references. Carries every problem found. */
export class SpecError extends Error {
  readonly problems: readonly SpecProblem[];
  constructor(problems: readonly SpecProblem[], options?: { cause?: unknown }) {
    super(problems.map(formatProblem).join('\n'), options);
    this.name = 'SpecError';
    this.problems = problems;
  }
}

/** A repository without `.vouch.yml`: not an error, the repo is simply not a Vouch service. */
export class SpecNotFoundError extends Error {
  constructor(readonly file: string) {
    super(`${file} not found: this repository is not a Vouch service, nothing to run`);
    this.name = 'SpecNotFoundError';
  }
}

/** A pipe option (run-to, run-task) naming a task the pipe does not have. */
export class UnknownTaskError extends Error {
  constructor(task: string, known: readonly string[]) {
    super(`unknown task "${task}"; the pipe's tasks are: ${known.join(', ')}`);
    this.name = 'UnknownTaskError';
  }
}
