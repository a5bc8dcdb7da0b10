import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runPipeLocally } from '../../lambdas/adapters/local/engine.ts';
import { headCommit } from '../../lambdas/adapters/local/gitWorkingCopy.ts';
import type { RunInput } from '../../lambdas/core/pipeline/contract.ts';
import {
  type CompileOptions,
  compileFlavour,
  type FlavourName,
  loadFlavour,
  parseServiceSpec,
  runConfig,
  type ServiceSpec,
  SPEC_FILE,
  SpecError,
  taskNames,
  UnknownTaskError,
} from '../../lambdas/core/spec/index.ts';
import { validateAsl } from '../../lambdas/core/spec/validateAsl.ts';
import { NotAGitRepositoryError, PlatformRunningError } from './errors.ts';
import { findPlatformDir, findServiceDir, specFileArgument } from './platformFile.ts';
import { progressPrinter } from './progress.ts';
import type { CliCommand, CliContext } from './types.ts';

/** Reads and validates the spec; prints located problems (no stack trace) and returns undefined on error. */
export function readSpec(file: string, ctx: CliContext): ServiceSpec | undefined {
  const shown = relative(ctx.cwd, file) || file;
  if (!existsSync(file)) {
    ctx.err(`${shown}: not found`);
    return undefined;
  }
  try {
    return parseServiceSpec(readFileSync(file, 'utf8'), shown);
  } catch (e) {
    if (e instanceof SpecError) {
      for (const line of e.message.split('\n')) ctx.err(line);
      ctx.err(`${e.problems.length} problem${e.problems.length === 1 ? '' : 's'} in ${shown}`);
      return undefined;
    }
    throw e;
  }
}

export const validateCommand: CliCommand = {
  name: 'validate',
  summary: 'check a .vouch.yml and the ASL its pipe compiles to',
  usage: `vouch validate [file]

Checks the file (default ./.vouch.yml; a folder means its .vouch.yml) against the schema and
compiles its pipe.
Every problem is printed as file:line:column: path: what was expected.
Exit codes: 0 valid, 2 invalid or not found.`,
  async run(argv, ctx) {
    const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
    const file = specFileArgument(ctx.cwd, positionals[0], SPEC_FILE);
    const spec = readSpec(file, ctx);
    if (!spec) return 2;
    const asl = validateAsl(compileFlavour(spec.pipe));
    if (!asl.valid) {
      for (const e of asl.errors) ctx.err(`compiled ASL: ${e}`);
      return 2;
    }
    ctx.out(
      `${relative(ctx.cwd, file) || file}: valid (${spec.service}, pipe ${spec.pipe}, team ${spec.team})`,
    );
    return 0;
  },
};

// `vouch show` is in show.ts.

function compileWith(flavour: FlavourName, options: CompileOptions, ctx: CliContext) {
  try {
    return compileFlavour(flavour, options);
  } catch (e) {
    if (e instanceof UnknownTaskError || (e instanceof Error && /cannot be combined/.test(e.message))) {
      ctx.err(e.message);
      return undefined;
    }
    throw e;
  }
}

export const runCommand: CliCommand = {
  name: 'run',
  summary: "run this repository's pipe here, on the local platform",
  usage: `vouch run [--run-to T] [--run-task T] [--mock] [--fail T]... [--commit SHA] [dir]

Runs the pipe of <dir>/.vouch.yml (default: the current directory) on this machine.
  --run-to T     stop after task T (first and last still run)
  --run-task T   run task T alone
  --mock         replace every task by a recorder and print the order the tasks ran in
  --fail T       with --mock: make task T fail (to see what runs after a failure)
  --commit SHA   the commit to build (default: the directory's git HEAD)
A directory without .vouch.yml is not a Vouch service: it is skipped with a one-line reason.
Exit codes: 0 the run SUCCEEDED, 1 it FAILED, 2 bad usage or spec.`,
  async run(argv, ctx) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'run-to': { type: 'string' },
        'run-task': { type: 'string' },
        mock: { type: 'boolean', default: false },
        fail: { type: 'string', multiple: true, default: [] },
        commit: { type: 'string' },
      },
    });
    // Without a folder, the service working copy the command was typed in (walking up to .vouch.yml).
    const dir =
      positionals[0] !== undefined ? resolve(ctx.cwd, positionals[0]) : (findServiceDir(ctx.cwd) ?? ctx.cwd);
    const file = resolve(dir, SPEC_FILE);
    if (!existsSync(file)) {
      ctx.out(`skipped: no ${SPEC_FILE} in ${relative(ctx.cwd, dir) || '.'}, so it is not a Vouch service`);
      return 0;
    }
    const spec = readSpec(file, ctx);
    if (!spec) return 2;
    const definition = compileWith(spec.pipe, { runTo: values['run-to'], runTask: values['run-task'] }, ctx);
    if (!definition) return 2;
    const mock = values.mock || spec.mock;
    if (!mock && values.fail.length > 0) {
      ctx.err('--fail needs --mock');
      return 2;
    }
    const known = taskNames(loadFlavour(spec.pipe));
    const unknown = values.fail.filter((t) => !known.includes(t));
    if (unknown.length > 0) {
      ctx.err(`--fail ${unknown.join(', ')}: no such task; the pipe's tasks are: ${known.join(', ')}`);
      return 2;
    }
    const commit =
      values.commit ??
      (await headCommit(dir).then(
        (h) => h.sha,
        () => 'unknown',
      ));
    const input: RunInput = {
      service: spec.service,
      team: spec.team,
      solution: spec.solution,
      repo: dir,
      commit,
      branch: spec.trunk,
      execution: `${spec.service}-${Date.now()}`,
      pipe: spec.pipe,
      config: runConfig(spec),
    };
    ctx.out(`${spec.service}: pipe ${spec.pipe} at ${commit.slice(0, 12)}${mock ? ' (mock)' : ''}`);
    const print = progressPrinter(ctx.out, '  ');
    if (mock) {
      const result = await runPipeLocally(definition, input as never, {
        mock: { fail: values.fail },
        name: input.execution,
        onHistory: print,
        retryIntervalMs: 0,
      });
      ctx.out('recorded order:');
      result.recorded.forEach((t, i) => {
        const where = [t.environment, t.step !== undefined ? `${t.step}%` : ''].filter(Boolean).join(' ');
        ctx.out(`  ${String(i + 1).padStart(3)}. ${t.task} (${t.type})${where ? ` [${where}]` : ''}`);
      });
      return result.status === 'SUCCEEDED' ? 0 : 1;
    }
    const { runOnLocalPlatform } = await import('./runHere.ts');
    try {
      const result = await runOnLocalPlatform({
        // The platform state of the folder it runs in (the Vouch clone for its own working copies).
        cwd: findPlatformDir(ctx.cwd, ctx.env) ?? ctx.cwd,
        serviceDir: dir,
        spec,
        definition,
        input,
        onHistory: print,
        out: ctx.out,
      });
      return result.status === 'SUCCEEDED' ? 0 : 1;
    } catch (error) {
      if (error instanceof NotAGitRepositoryError || error instanceof PlatformRunningError) {
        ctx.err(`vouch run: ${error.message}`);
        return 2;
      }
      throw error;
    }
  },
};
