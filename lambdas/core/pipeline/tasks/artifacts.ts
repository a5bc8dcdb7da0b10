import type { TaskFunction, TaskType } from '../contract.ts';
import { PipelineConfigError } from '../errors.ts';
import { runSpecOf } from '../taskInputs.ts';
import type { TaskContext } from './context.ts';
import { json, tagsOf } from './inputs.ts';

export function artifactTasks(
  context: TaskContext,
): Pick<Record<TaskType, TaskFunction>, 'build' | 'test' | 'bake'> {
  const { ports } = context;
  return {
    async build(input) {
      const command = input.run.config.build as { command: string; timeoutSeconds: number } | undefined;
      return ports.commands.run('build', input, command);
    },

    async test(input) {
      const command = input.run.config.test as { command: string; timeoutSeconds: number } | undefined;
      if (!command) return { skipped: 'no test.command in .vouch.yml' };
      return ports.commands.run('test', input, command);
    },

    async bake(input) {
      const run = runSpecOf(input.run);
      if (!run)
        throw new PipelineConfigError('bake needs run.command in .vouch.yml (how the service starts)');
      const { source, overlays } = ports.source(input.run);
      const image = await ports.target.bake({
        service: input.run.service,
        source,
        ...(overlays ? { overlays } : {}),
        run,
        tags: tagsOf(input.run),
        commit: input.run.commit,
      });
      return json(image);
    },
  };
}
