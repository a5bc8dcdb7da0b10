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

/** Base class: anything wrong with a service's `.vouch.yml` or the options a pipe runs with. */
export class PipeSpecError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PipeSpecError';
  }
}

/** A spec file that is not valid: YAML syntax, schema, or references. Carries every problem found. */
export class SpecError extends PipeSpecError {
  readonly problems: readonly SpecProblem[];
  constructor(problems: readonly SpecProblem[], options?: { cause?: unknown }) {
    super(problems.map(formatProblem).join('\n'), options);
    this.name = 'SpecError';
    this.problems = problems;
  }
}

/** A repository without `.vouch.yml`: not an error, the repo is simply not a Vouch service. */
export class SpecNotFoundError extends PipeSpecError {
  constructor(readonly file: string) {
    super(`${file} not found: this repository is not a Vouch service, nothing to run`);
    this.name = 'SpecNotFoundError';
  }
}

/** A pipe option (run-to, run-task) naming a task the pipe does not have. */
export class UnknownTaskError extends PipeSpecError {
  constructor(task: string, known: readonly string[]) {
    super(`unknown task "${task}"; the pipe's tasks are: ${known.join(', ')}`);
    this.name = 'UnknownTaskError';
  }
}

/** A pipe that names a flavour the project does not ship. */
export class UnknownFlavourError extends PipeSpecError {
  constructor(flavour: string, shipped: readonly string[]) {
    super(`unknown flavour "${flavour}"; shipped: ${shipped.join(', ')}`);
    this.name = 'UnknownFlavourError';
  }
}

/** Pipe options that cannot go together (run-to stops after a task, run-task runs only one). */
export class ConflictingPipeOptionsError extends PipeSpecError {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictingPipeOptionsError';
  }
}
