import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { headCommit } from '../../lambdas/adapters/local/gitWorkingCopy.ts';
import type { RunInput } from '../../lambdas/core/pipeline/contract.ts';
import {
  type CompileOptions,
  compileFlavour,
  type FlavourName,
  loadFlavour,
  runConfig,
  SPEC_FILE,
  taskNames,
  UnknownTaskError,
} from '../../lambdas/core/spec/index.ts';
import { validateAsl } from '../../lambdas/core/spec/validateAsl.ts';
import { runHelp, validateHelp } from './commandHelp.ts';
import { NotAGitRepositoryError, PlatformRunningError } from './errors.ts';
import { findPlatformDir, findServiceDir, specFileArgument } from './platformFile.ts';
import { progressPrinter } from './progress.ts';
import { readSpec } from './serviceSpecFile.ts';
import type { CliCommand, CliContext } from './types.ts';

export const validateCommand: CliCommand = {
  ...validateHelp,
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
  ...runHelp,
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
      // Loaded here, not at the top: `vouch validate` shares this module and needs no engine.
      const { runPipeLocally } = await import('../../lambdas/adapters/local/engine.ts');
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
