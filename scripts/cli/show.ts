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
import { showHelp } from './commandHelp.ts';
import { findServiceDir, specFileArgument } from './platformFile.ts';
import { readSpec } from './serviceSpecFile.ts';
import type { CliCommand } from './types.ts';

export const showCommand: CliCommand = {
  ...showHelp,
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
