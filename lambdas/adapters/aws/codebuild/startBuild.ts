import { createHash } from 'node:crypto';
import {
  AccountLimitExceededException,
  type CodeBuildClient,
  InvalidInputException,
  ResourceNotFoundException,
  StartBuildCommand,
} from '@aws-sdk/client-codebuild';
import type { JsonValue, RunState, TaskFunction, TaskInput } from '../../../core/pipeline/contract.ts';
import type { CommandPort } from '../../../core/pipeline/tasks.ts';
import { artifactFormatOf, artifactUri } from './artifactUri.ts';
import {
  CodeBuildLimitError,
  CodeBuildProjectNotFoundError,
  CodeBuildStartError,
  MissingTaskTokenError,
} from './errors.ts';
import type { TaskTokenStore } from './taskTokenItems.ts';

export type CodeBuildTask = 'build' | 'test';

export interface CodeBuildRequest {
  readonly service: string;
  /** The pushed commit: the build checks out exactly this (no SHA, no run). */
  readonly commit: string;
  readonly task: CodeBuildTask;
  /** Step Functions task token; the buildspec hands it back with send-task-success/failure. */
  readonly token: string;
  /** Execution name, so the build log can be found from the run. */
  readonly execution?: string;
  /** The version from the build data repository, when the pipe allocated one before building. */
  readonly version?: number | string;
  /** The task's `.vouch.yml` command (`build.command`, `test.command`); the buildspec runs it. */
  readonly command?: string;
  /** Seconds before the build is stopped (`.vouch.yml` timeoutSeconds); CodeBuild counts whole minutes, 5 to 2160. */
  readonly timeoutSeconds?: number;
  /** Where a build task uploads its artifact (`s3://<bucket>/<service>/<commit>.tar.gz`). */
  readonly artifactUri?: string;
}

export interface StartedBuild {
  readonly buildId: string;
  readonly projectName: string;
}

export interface CodeBuildStarterOptions {
  /** Projects are named `<prefix><service>` by the CDK app. @default 'vouch-' */
  readonly projectPrefix?: string;
  /** The artifact bucket (RUNTIME_ENV.artifactBucket) a build task uploads to. @default none: no upload */
  readonly artifactBucket?: string;
  /**
   * Where the task token is kept for the build (taskTokenItems.ts): the build gets the item's key, never
   * the token. The Lambdas always set it. @default none: the token is a PLAINTEXT variable (tests only)
   */
  readonly tokens?: TaskTokenStore;
}

/** CodeBuild's timeoutInMinutesOverride accepts 5 to 2160 (API reference, StartBuild). */
const MIN_TIMEOUT_MINUTES = 5;
const MAX_TIMEOUT_MINUTES = 2160;

/**
 * Starts the service's CodeBuild project at the commit. The Lambda returns at once; the Task state
 * (`lambda:invoke.waitForTaskToken`) waits until the buildspec's last command calls
 * `aws stepfunctions send-task-success` or `send-task-failure` with VOUCH_TASK_TOKEN.
 * No tags here: StartBuild takes none; a build is billed to its project, which the CDK app tags.
 */
export async function startCodeBuild(
  codebuild: CodeBuildClient,
  request: CodeBuildRequest,
  options: CodeBuildStarterOptions = {},
): Promise<StartedBuild> {
  const projectName = `${options.projectPrefix ?? 'vouch-'}${request.service}`;
  const stored = await options.tokens?.store(request.service, request.token);
  const variables: Record<string, string> = {
    ...(stored
      ? { VOUCH_TASK_TOKEN_TABLE: stored.table, VOUCH_TASK_TOKEN_KEY: stored.key }
      : { VOUCH_TASK_TOKEN: request.token }),
    VOUCH_TASK: request.task,
    VOUCH_SERVICE: request.service,
    VOUCH_COMMIT: request.commit,
  };
  if (request.execution !== undefined) variables.VOUCH_EXECUTION = request.execution;
  if (request.version !== undefined) variables.VOUCH_VERSION = String(request.version);
  if (request.command !== undefined) variables.VOUCH_COMMAND = request.command;
  if (request.artifactUri !== undefined) variables.VOUCH_ARTIFACT_URI = request.artifactUri;
  const timeout =
    request.timeoutSeconds === undefined
      ? {}
      : {
          timeoutInMinutesOverride: Math.min(
            MAX_TIMEOUT_MINUTES,
            Math.max(MIN_TIMEOUT_MINUTES, Math.ceil(request.timeoutSeconds / 60)),
          ),
        };
  try {
    const { build } = await codebuild.send(
      new StartBuildCommand({
        projectName,
        sourceVersion: request.commit,
        environmentVariablesOverride: Object.entries(variables).map(([name, value]) => ({
          name,
          value,
          type: 'PLAINTEXT',
        })),
        // A retried Lambda invocation (same token, within CodeBuild's 5 minutes) starts no second build.
        idempotencyToken: createHash('sha256').update(`${request.token}|${request.task}`).digest('hex'),
        // A CodeBuild auto-retry would report on a token the first attempt may already have used.
        autoRetryLimitOverride: 0,
        ...timeout,
      }),
    );
    if (build?.id === undefined)
      throw new CodeBuildStartError(`StartBuild on ${projectName} returned no build id`);
    return { buildId: build.id, projectName };
  } catch (error) {
    if (error instanceof ResourceNotFoundException)
      throw new CodeBuildProjectNotFoundError(projectName, { cause: error });
    if (error instanceof AccountLimitExceededException)
      throw new CodeBuildLimitError(projectName, { cause: error });
    if (error instanceof InvalidInputException) {
      throw new CodeBuildStartError(`CodeBuild refused ${projectName}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

/**
 * The `build` and `test` task types on AWS: a TaskFunction a Lambda handler wraps, with the
 * CodeBuild client it created at module scope.
 */
export function codeBuildTask(
  codebuild: CodeBuildClient,
  options: CodeBuildStarterOptions = {},
): TaskFunction {
  return async (input: TaskInput): Promise<JsonValue> => {
    const { task, run, token } = input;
    if (task.type !== 'build' && task.type !== 'test') {
      throw new CodeBuildStartError(
        `Task ${task.name} has type ${task.type}; CodeBuild runs only build and test`,
      );
    }
    if (token === undefined || token === '') throw new MissingTaskTokenError(task.name);
    const version = run.out.version;
    const configured = run.config[task.type] as { command?: unknown; timeoutSeconds?: unknown } | undefined;
    const started = await startCodeBuild(
      codebuild,
      {
        service: run.service,
        commit: run.commit,
        task: task.type,
        token,
        execution: run.execution,
        ...(typeof version === 'number' || typeof version === 'string' ? { version } : {}),
        ...(typeof configured?.command === 'string' ? { command: configured.command } : {}),
        ...(typeof configured?.timeoutSeconds === 'number'
          ? { timeoutSeconds: configured.timeoutSeconds }
          : {}),
        ...uploadTarget(task.type, run, options),
      },
      options,
    );
    return { buildId: started.buildId, projectName: started.projectName };
  };
}

/** A build task uploads its artifact where bake looks for it (artifactSource.ts); a test task uploads nothing. */
function uploadTarget(
  kind: CodeBuildTask,
  run: RunState,
  options: CodeBuildStarterOptions,
): { artifactUri?: string } {
  if (kind !== 'build' || options.artifactBucket === undefined || options.artifactBucket === '') return {};
  return {
    artifactUri: artifactUri(options.artifactBucket, run.service, run.commit, artifactFormatOf(run.pipe)),
  };
}

/**
 * The commands port on AWS (build, test): the task's `.vouch.yml` command in the service's CodeBuild
 * project at the commit; a build also uploads its artifact to the artifact bucket and reports it.
 * Returns at once: the Task state waits on its token until the buildspec calls send-task-success or
 * send-task-failure, so this Lambda's own result is not the state's output.
 */
export function codeBuildCommandPort(
  codebuild: CodeBuildClient,
  options: CodeBuildStarterOptions = {},
): CommandPort {
  return {
    async run(kind, input, command) {
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
          // Without a command a build still starts: its buildspec packs and uploads the artifact.
          ...(command ? { command: command.command, timeoutSeconds: command.timeoutSeconds } : {}),
          ...(typeof version === 'number' ? { version } : {}),
          ...uploadTarget(kind, input.run, options),
        },
        options,
      );
      return { kind, buildId: started.buildId, projectName: started.projectName };
    },
  };
}
