/** Base class: anything that stops the stacks from being defined (bad config, missing prerequisites). */
export class InfrastructureError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InfrastructureError';
  }
}

/** A platform config file that cannot be used: unreadable, invalid YAML, or failing the schema. */
export class PlatformConfigError extends InfrastructureError {
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`platform config ${file} is invalid:\n${message}`, options);
    this.name = 'PlatformConfigError';
    this.file = file;
  }
}

/** Something the stacks need from the account is not configured: says what to set (README "Deploying to AWS"). */
export class MissingPrerequisiteError extends InfrastructureError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`${message}\nSee README.md, "Deploying to AWS", for what must exist before cdk deploy.`, options);
    this.name = 'MissingPrerequisiteError';
  }
}

/**
 * The stacks cannot be built as asked: a flavour's task without a Lambda, a handler entry missing, an
 * unexplained `*` grant, a function over Lambda's limits. Refused at synth, naming what to fix.
 */
export class StackDefinitionError extends InfrastructureError {
  constructor(message: string) {
    super(message);
    this.name = 'StackDefinitionError';
  }
}
