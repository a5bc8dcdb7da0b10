import { createHash } from 'node:crypto';
import {
  AccountLimitExceededException,
  type CodeBuildClient,
  InvalidInputException,
  ResourceNotFoundException,
  StartBuildCommand,
} from '@aws-sdk/client-codebuild';
import type { JsonValue, TaskFunction, TaskInput } from '../../../core/pipeline/contract.ts';
import {
  CodeBuildLimitError,
  CodeBuildProjectNotFoundError,
  CodeBuildStartError,
  MissingTaskTokenError,
} from './errors.ts';

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
}

export interface StartedBuild {
  readonly buildId: string;
  readonly projectName: string;
}

export interface CodeBuildStarterOptions {
  /** Projects are named `<prefix><service>` by the CDK app. @default 'vouch-' */
  readonly projectPrefix?: string;
}

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
  const variables: Record<string, string> = {
    VOUCH_TASK_TOKEN: request.token,
    VOUCH_TASK: request.task,
    VOUCH_SERVICE: request.service,
    VOUCH_COMMIT: request.commit,
  };
  if (request.execution !== undefined) variables.VOUCH_EXECUTION = request.execution;
  if (request.version !== undefined) variables.VOUCH_VERSION = String(request.version);
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
    const started = await startCodeBuild(
      codebuild,
      {
        service: run.service,
        commit: run.commit,
        task: task.type,
        token,
        execution: run.execution,
        ...(typeof version === 'number' || typeof version === 'string' ? { version } : {}),
      },
      options,
    );
    return { buildId: started.buildId, projectName: started.projectName };
  };
}
