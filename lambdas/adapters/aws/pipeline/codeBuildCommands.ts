/**
 * The commands port on AWS (build, test): starts the service's CodeBuild project at the commit and
 * returns. The Task state waits on its token (`lambda:invoke.waitForTaskToken`) until the buildspec
 * calls send-task-success or send-task-failure; this Lambda's own result is not the state's output.
 */
import type { CodeBuildClient } from '@aws-sdk/client-codebuild';
import type { CommandPort } from '../../../core/pipeline/tasks.ts';
import { MissingTaskTokenError } from '../codebuild/errors.ts';
import { startCodeBuild } from '../codebuild/startBuild.ts';

export interface CodeBuildCommandsOptions {
  /** Projects are `<prefix><service>` (RUNTIME_ENV.buildProjectPrefix). @default 'vouch-' */
  readonly projectPrefix?: string;
}

export function codeBuildCommands(
  codebuild: CodeBuildClient,
  options: CodeBuildCommandsOptions = {},
): CommandPort {
  return {
    async run(kind, input) {
      if (input.token === undefined || input.token === '') throw new MissingTaskTokenError(input.task.name);
      // `$.out.version` is the version task's `{ version, commit }`.
      const version = (input.run.out.version as { version?: unknown } | undefined)?.version;
      const started = await startCodeBuild(
        codebuild,
        {
          service: input.run.service,
          commit: input.run.commit,
          task: kind,
          token: input.token,
          execution: input.run.execution,
          ...(typeof version === 'number' ? { version } : {}),
        },
        options.projectPrefix === undefined ? {} : { projectPrefix: options.projectPrefix },
      );
      return { kind, buildId: started.buildId, projectName: started.projectName };
    },
  };
}
