/**
 * The build and test tasks' commands on one machine: `sh -c <command>` in the service's working copy,
 * bounded by the task's timeout, with VOUCH_TASK and VOUCH_COMMIT set (on AWS, CodeBuild runs them:
 * adapters/aws/codebuild/startBuild.ts).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { CommandPort } from '../../core/pipeline/tasks.ts';
import type { JsonValue } from '../../core/shared/json.ts';

const run = promisify(execFile);

/** What a task keeps of a command's output: its last characters (stored with the task event). */
const OUTPUT_TAIL_CHARS = 4000;

export function shellCommands(repoDir: string, env: NodeJS.ProcessEnv = process.env): CommandPort {
  return {
    run: async (kind, input, command): Promise<JsonValue> => {
      // Locally bake takes the commit's files: a build without a command has nothing to do.
      if (!command) return { skipped: `no ${kind}.command in .vouch.yml` };
      const { stdout, stderr } = await run('sh', ['-c', command.command], {
        cwd: repoDir,
        timeout: command.timeoutSeconds * 1000,
        env: { ...env, VOUCH_TASK: kind, VOUCH_COMMIT: input.run.commit },
      });
      return { kind, output: `${stdout}${stderr}`.slice(-OUTPUT_TAIL_CHARS) };
    },
  };
}
