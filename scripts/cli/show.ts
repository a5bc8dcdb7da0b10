import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  compilePipe,
  FLAVOURS,
  type FlavourName,
  loadFlavour,
  SPEC_FILE,
  selectStages,
  UnknownTaskError,
} from '../../lambdas/core/spec/index.ts';
import { pipeToMermaid, type ServiceView, serviceView } from '../../lambdas/core/spec/mermaid.ts';
import { readSpec } from './pipe.ts';
import { findServiceDir, specFileArgument } from './platformFile.ts';
import type { CliCommand } from './types.ts';

export const showCommand: CliCommand = {
  name: 'show',
  summary: "print this service's pipe (or a shipped flavour's) as a graph (Mermaid) or as its ASL",
  usage: `vouch show [--pipe <flavour>] [--asl] [--run-to T | --run-task T] [file]

Prints the pipe of the service you are in (the nearest ${SPEC_FILE} from here upwards, or [file])
as a Mermaid flowchart: its own environments (qa, prod) and canary steps (20 %, 50 %, 100 %).
--pipe <flavour> prints a shipped flavour instead, generically: ${FLAVOURS.join(', ')}.
Paste the output in a Markdown file or https://mermaid.live to see it.
--asl prints the compiled Amazon States Language instead (the same for every service of a flavour).
Exit codes: 0 printed, 2 no ${SPEC_FILE} found, invalid, or an unknown flavour or task.`,
  async run(argv, ctx) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        pipe: { type: 'string' },
        asl: { type: 'boolean', default: false },
        'run-to': { type: 'string' },
        'run-task': { type: 'string' },
      },
    });
    if (positionals.length > 1 || (values.pipe !== undefined && positionals.length > 0)) {
      ctx.err('vouch show draws one pipe: a service (its .vouch.yml) or a flavour (--pipe), not both');
      return 2;
    }
    let flavour: FlavourName;
    let view: ServiceView | undefined;
    if (values.pipe !== undefined) {
      if (!(FLAVOURS as readonly string[]).includes(values.pipe)) {
        ctx.err(`unknown pipe "${values.pipe}"; shipped: ${FLAVOURS.join(', ')}`);
        return 2;
      }
      flavour = values.pipe as FlavourName;
    } else {
      const serviceDir = findServiceDir(ctx.cwd);
      const file =
        positionals[0] !== undefined
          ? specFileArgument(ctx.cwd, positionals[0], SPEC_FILE)
          : serviceDir && join(serviceDir, SPEC_FILE);
      if (!file) {
        ctx.err(
          `no ${SPEC_FILE} in ${ctx.cwd} or above: run vouch show in a service's folder, or name a flavour (vouch show --pipe ${FLAVOURS.join('|')})`,
        );
        return 2;
      }
      const spec = readSpec(file, ctx);
      if (!spec) return 2;
      flavour = spec.pipe;
      view = serviceView(spec);
    }
    const pipe = loadFlavour(flavour);
    const options = { runTo: values['run-to'], runTask: values['run-task'] };
    try {
      ctx.out(
        values.asl
          ? JSON.stringify(compilePipe(pipe, options), null, 2)
          : pipeToMermaid(selectStages(pipe, options), view),
      );
    } catch (e) {
      if (e instanceof UnknownTaskError || (e instanceof Error && /cannot be combined/.test(e.message))) {
        ctx.err(e.message);
        return 2;
      }
      throw e;
    }
    return 0;
  },
};
