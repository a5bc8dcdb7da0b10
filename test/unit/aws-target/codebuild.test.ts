import { readFileSync } from 'node:fs';
import {
  AccountLimitExceededException,
  CodeBuildClient,
  ResourceNotFoundException,
  StartBuildCommand,
} from '@aws-sdk/client-codebuild';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  CodeBuildLimitError,
  CodeBuildProjectNotFoundError,
  codeBuildTask,
  MissingTaskTokenError,
  startCodeBuild,
} from '../../../lambdas/adapters/aws/codebuild/index.ts';
import type { TaskInput } from '../../../lambdas/core/pipeline/contract.ts';

const codebuild = mockClient(CodeBuildClient);
const client = new CodeBuildClient({});

afterEach(() => {
  codebuild.reset();
});

const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAA-task-token';

function taskInput(type: 'build' | 'test', token: string | null = TOKEN): TaskInput {
  return {
    task: { name: `${type}-orders`, type, params: {} },
    run: {
      service: 'orders',
      team: 'checkout',
      solution: 'shop',
      repo: 'acme/orders',
      commit: '4f1c2e9d0b7a',
      branch: 'main',
      execution: 'orders-4f1c2e9-d1',
      pipe: 'ec2-canary',
      config: { releaseEnvironments: [] },
      out: { version: 42 },
    },
    ...(token === null ? {} : { token }),
  };
}

describe('startCodeBuild', () => {
  it('starts vouch-<service> at the commit with the task token and task for the buildspec', async () => {
    // Prepare
    codebuild.on(StartBuildCommand).resolves({ build: { id: 'vouch-orders:b1' } });

    // Act
    const started = await startCodeBuild(client, {
      service: 'orders',
      commit: '4f1c2e9d0b7a',
      task: 'test',
      token: TOKEN,
      version: 42,
    });

    // Assess
    expect(started).toEqual({ buildId: 'vouch-orders:b1', projectName: 'vouch-orders' });
    expect(codebuild).toReceiveCommandWith(StartBuildCommand, {
      projectName: 'vouch-orders',
      sourceVersion: '4f1c2e9d0b7a',
      autoRetryLimitOverride: 0,
      idempotencyToken: expect.stringMatching(/^[0-9a-f]{64}$/),
      environmentVariablesOverride: expect.arrayContaining([
        { name: 'VOUCH_TASK_TOKEN', value: TOKEN, type: 'PLAINTEXT' },
        { name: 'VOUCH_TASK', value: 'test', type: 'PLAINTEXT' },
        { name: 'VOUCH_COMMIT', value: '4f1c2e9d0b7a', type: 'PLAINTEXT' },
        { name: 'VOUCH_VERSION', value: '42', type: 'PLAINTEXT' },
      ]),
    });
  });

  it('names a missing project as not onboarded', async () => {
    // Prepare
    codebuild
      .on(StartBuildCommand)
      .rejects(new ResourceNotFoundException({ message: 'no such project', $metadata: {} }));

    // Act / Assess
    await expect(
      startCodeBuild(client, { service: 'ghost', commit: 'abc', task: 'build', token: TOKEN }),
    ).rejects.toMatchObject({ name: 'CodeBuildProjectNotFoundError', projectName: 'vouch-ghost' });
  });

  it('turns the account build limit into a retryable typed error', async () => {
    // Prepare
    codebuild
      .on(StartBuildCommand)
      .rejects(new AccountLimitExceededException({ message: 'limit', $metadata: {} }));

    // Act / Assess
    await expect(
      startCodeBuild(client, { service: 'orders', commit: 'abc', task: 'build', token: TOKEN }),
    ).rejects.toBeInstanceOf(CodeBuildLimitError);
  });
});

describe('codeBuildTask', () => {
  it('maps the task input to StartBuild and returns the build id', async () => {
    // Prepare
    codebuild.on(StartBuildCommand).resolves({ build: { id: 'vouch-orders:b2' } });
    const task = codeBuildTask(client);

    // Act
    const result = await task(taskInput('build'));

    // Assess
    expect(result).toEqual({ buildId: 'vouch-orders:b2', projectName: 'vouch-orders' });
    expect(codebuild).toReceiveCommandWith(StartBuildCommand, {
      sourceVersion: '4f1c2e9d0b7a',
      environmentVariablesOverride: expect.arrayContaining([
        { name: 'VOUCH_TASK', value: 'build', type: 'PLAINTEXT' },
        { name: 'VOUCH_EXECUTION', value: 'orders-4f1c2e9-d1', type: 'PLAINTEXT' },
      ]),
    });
  });

  it('refuses to start a build that could never report back', async () => {
    // Prepare
    const task = codeBuildTask(client);

    // Act / Assess
    await expect(task(taskInput('test', null))).rejects.toBeInstanceOf(MissingTaskTokenError);
    expect(codebuild).not.toReceiveAnyCommand();
  });

  it('is not found for a project error, by name Step Functions can match', async () => {
    // Prepare
    codebuild.on(StartBuildCommand).rejects(new ResourceNotFoundException({ message: 'no', $metadata: {} }));

    // Act / Assess
    await expect(codeBuildTask(client)(taskInput('build'))).rejects.toBeInstanceOf(
      CodeBuildProjectNotFoundError,
    );
  });
});

describe('buildspec.vouch.yml', () => {
  it('reports success and failure to the waiting task with VOUCH_TASK_TOKEN', () => {
    // Prepare
    const text = readFileSync(
      new URL('../../../lambdas/adapters/aws/codebuild/buildspec.vouch.yml', import.meta.url),
      'utf8',
    );

    // Act
    const spec = parse(text) as { version: number; phases: Record<string, { commands: string[] }> };

    // Assess
    expect(spec.version).toBe(0.2);
    const report = spec.phases.post_build?.commands.join('\n') ?? '';
    expect(report).toContain('send-task-success --task-token "$VOUCH_TASK_TOKEN"');
    expect(report).toContain('send-task-failure --task-token "$VOUCH_TASK_TOKEN"');
    expect(spec.phases.build?.commands.join('\n')).toContain('$VOUCH_TASK');
  });
});
