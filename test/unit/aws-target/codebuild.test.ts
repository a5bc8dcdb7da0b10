import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  codeBuildCommandPort,
  codeBuildTask,
  MissingTaskTokenError,
  startCodeBuild,
} from '../../../lambdas/adapters/aws/codebuild/index.ts';
import { artifactSource } from '../../../lambdas/adapters/aws/pipeline/artifactSource.ts';
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

  it(".vouch.yml's command, timeout and, for a build, the artifact upload target go to the buildspec", async () => {
    // Prepare
    codebuild.on(StartBuildCommand).resolves({ build: { id: 'vouch-orders:b3' } });
    const input = taskInput('build');
    const task = codeBuildTask(client, { artifactBucket: 'vouch-artifacts-123456789012-eu-west-1' });

    // Act
    await task({
      ...input,
      run: {
        ...input.run,
        config: { releaseEnvironments: [], build: { command: 'make dist', timeoutSeconds: 30 } },
      },
    });

    // Assess
    expect(codebuild).toReceiveCommandWith(StartBuildCommand, {
      // CodeBuild's minimum is five minutes.
      timeoutInMinutesOverride: 5,
      environmentVariablesOverride: expect.arrayContaining([
        { name: 'VOUCH_COMMAND', value: 'make dist', type: 'PLAINTEXT' },
        {
          name: 'VOUCH_ARTIFACT_URI',
          value: 's3://vouch-artifacts-123456789012-eu-west-1/orders/4f1c2e9d0b7a.tar.gz',
          type: 'PLAINTEXT',
        },
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

describe('codeBuildCommandPort', () => {
  it('runs the given command; only a build gets an upload target, and a test none', async () => {
    // Prepare
    codebuild.on(StartBuildCommand).resolves({ build: { id: 'vouch-orders:b4' } });
    const port = codeBuildCommandPort(client, { artifactBucket: 'artifacts' });

    // Act
    const built = await port.run('build', taskInput('build'), {
      command: 'npm run dist',
      timeoutSeconds: 7200,
    });
    await port.run('test', taskInput('test'), { command: 'npm test', timeoutSeconds: 600 });

    // Assess
    expect(built).toEqual({ kind: 'build', buildId: 'vouch-orders:b4', projectName: 'vouch-orders' });
    const [build, test] = codebuild.commandCalls(StartBuildCommand).map((c) => c.args[0].input);
    expect(build?.timeoutInMinutesOverride).toBe(120);
    expect(build?.environmentVariablesOverride).toEqual(
      expect.arrayContaining([
        { name: 'VOUCH_COMMAND', value: 'npm run dist', type: 'PLAINTEXT' },
        { name: 'VOUCH_ARTIFACT_URI', value: 's3://artifacts/orders/4f1c2e9d0b7a.tar.gz', type: 'PLAINTEXT' },
      ]),
    );
    expect(test?.environmentVariablesOverride).toContainEqual({
      name: 'VOUCH_COMMAND',
      value: 'npm test',
      type: 'PLAINTEXT',
    });
    expect(test?.environmentVariablesOverride?.map((v) => v.name)).not.toContain('VOUCH_ARTIFACT_URI');
  });

  it('uploads a lambda-canary build as a .zip, where bake looks for it', async () => {
    // Prepare
    codebuild.on(StartBuildCommand).resolves({ build: { id: 'vouch-orders:b5' } });
    const port = codeBuildCommandPort(client, { artifactBucket: 'artifacts' });
    const input = taskInput('build');
    const lambdaInput = { ...input, run: { ...input.run, pipe: 'lambda-canary' } };

    // Act
    await port.run('build', lambdaInput, { command: 'npm run dist', timeoutSeconds: 600 });

    // Assess
    const [build] = codebuild.commandCalls(StartBuildCommand).map((c) => c.args[0].input);
    expect(build?.environmentVariablesOverride).toContainEqual({
      name: 'VOUCH_ARTIFACT_URI',
      value: 's3://artifacts/orders/4f1c2e9d0b7a.zip',
      type: 'PLAINTEXT',
    });
    expect(artifactSource(lambdaInput.run, { bucket: 'artifacts' })).toEqual({
      source: 's3://artifacts/orders/4f1c2e9d0b7a.zip',
    });
  });
});

type Buildspec = { version: number; phases: Record<string, { commands: string[] }> };
const BUILDSPEC = parse(
  readFileSync(
    new URL('../../../lambdas/adapters/aws/codebuild/buildspec.vouch.yml', import.meta.url),
    'utf8',
  ),
) as Buildspec;

/**
 * Runs the buildspec's build and post_build phases as CodeBuild does (each command in a shell, a
 * failing command ends its phase; post_build runs anyway), with `aws` and `npm` replaced by stubs that
 * record their calls and keep the uploaded file.
 */
function runBuildspec(variables: Record<string, string>) {
  const root = mkdtempSync(join(tmpdir(), 'vouch-buildspec-'));
  const src = join(root, 'src');
  const bin = join(root, 'bin');
  mkdirSync(join(src, '.git'), { recursive: true });
  mkdirSync(bin);
  writeFileSync(join(src, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  writeFileSync(join(src, 'server.mjs'), 'console.log("up")\n');
  const log = join(root, 'calls.log');
  const upload = join(root, 'uploaded.tar.gz');
  const output = join(root, 'task-output.json');
  writeFileSync(
    join(bin, 'aws'),
    [
      '#!/bin/sh',
      `echo "aws $*" >> '${log}'`,
      `if [ "$1" = s3 ] && [ "$2" = cp ]; then cp "$3" '${upload}'; fi`,
      `while [ $# -gt 0 ]; do [ "$1" = --task-output ] && printf '%s' "$2" > '${output}'; shift; done`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(bin, 'npm'), `#!/bin/sh\necho "npm $*" >> '${log}'\n`);
  chmodSync(join(bin, 'aws'), 0o755);
  chmodSync(join(bin, 'npm'), 0o755);
  const env = {
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    CODEBUILD_SRC_DIR: src,
    CODEBUILD_BUILD_ID: 'vouch-orders:b9',
    VOUCH_TASK_TOKEN: TOKEN,
    VOUCH_COMMIT: '4f1c2e9d0b7a',
    ...variables,
  };
  const phase = (name: string, extra: Record<string, string> = {}) => {
    for (const command of BUILDSPEC.phases[name]?.commands ?? []) {
      const result = spawnSync('sh', ['-c', command], {
        cwd: src,
        env: { ...env, ...extra },
        encoding: 'utf8',
      });
      if (result.status !== 0) return false;
    }
    return true;
  };
  const succeeded = phase('build');
  phase('post_build', { CODEBUILD_BUILD_SUCCEEDING: succeeded ? '1' : '0' });
  const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');
  const zipped = String(variables.VOUCH_ARTIFACT_URI ?? '').endsWith('.zip');
  const archived = existsSync(upload)
    ? spawnSync(zipped ? 'unzip' : 'tar', zipped ? ['-Z1', upload] : ['-tzf', upload], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean)
    : [];
  const result = { succeeded, calls: read(log), taskOutput: read(output), archived };
  rmSync(root, { recursive: true, force: true });
  return result;
}

describe('buildspec.vouch.yml', () => {
  it('packs a Lambda service’s build as a .zip deployment package (what UpdateFunctionCode takes)', () => {
    // Act
    const run = runBuildspec({
      VOUCH_TASK: 'build',
      VOUCH_ARTIFACT_URI: 's3://vouch-artifacts/orders-fn/4f1c2e9d0b7a.zip',
    });

    // Assess
    expect(run.succeeded).toBe(true);
    expect(run.archived).toEqual(['server.mjs']);
    expect(run.calls).toContain(
      'aws s3 cp /tmp/vouch-artifact.zip s3://vouch-artifacts/orders-fn/4f1c2e9d0b7a.zip',
    );
  });

  it(".vouch.yml's build command runs; the workspace without .git is uploaded and reported to bake", () => {
    // Act
    const run = runBuildspec({
      VOUCH_TASK: 'build',
      VOUCH_COMMAND: 'mkdir -p dist && echo built > dist/app.js',
      VOUCH_ARTIFACT_URI: 's3://vouch-artifacts/orders/4f1c2e9d0b7a.tar.gz',
    });

    // Assess
    expect(run.succeeded).toBe(true);
    expect(run.archived).toEqual(expect.arrayContaining(['./dist/app.js', './server.mjs']));
    expect(run.archived.some((entry) => entry.includes('.git'))).toBe(false);
    expect(run.calls).toContain(
      'aws s3 cp /tmp/vouch-artifact.tar.gz s3://vouch-artifacts/orders/4f1c2e9d0b7a.tar.gz',
    );
    expect(run.calls).not.toContain('npm');
    expect(JSON.parse(run.taskOutput)).toEqual({
      buildId: 'vouch-orders:b9',
      task: 'build',
      commit: '4f1c2e9d0b7a',
      artifact: 's3://vouch-artifacts/orders/4f1c2e9d0b7a.tar.gz',
    });
  });

  it('a failing command uploads nothing and fails the waiting task', () => {
    // Act
    const run = runBuildspec({
      VOUCH_TASK: 'build',
      VOUCH_COMMAND: 'echo compiling && exit 3',
      VOUCH_ARTIFACT_URI: 's3://vouch-artifacts/orders/4f1c2e9d0b7a.tar.gz',
    });

    // Assess
    expect(run.succeeded).toBe(false);
    expect(run.calls).not.toContain('aws s3 cp');
    expect(run.calls).toContain('aws stepfunctions send-task-failure');
    expect(run.calls).toContain('--error CodeBuildFailedError');
  });

  it('a build without a command packs the source as it is and uploads it for bake', () => {
    // Act: the example service has no build.command; bake on AWS still needs its artifact.
    const run = runBuildspec({
      VOUCH_TASK: 'build',
      VOUCH_ARTIFACT_URI: 's3://vouch-artifacts/orders/4f1c2e9d0b7a.tar.gz',
    });

    // Assess
    expect(run.succeeded).toBe(true);
    expect(run.calls).not.toContain('npm');
    expect(run.archived).toEqual(expect.arrayContaining(['./server.mjs']));
    expect(JSON.parse(run.taskOutput)).toMatchObject({
      artifact: 's3://vouch-artifacts/orders/4f1c2e9d0b7a.tar.gz',
    });
  });

  it('a test reports no artifact; without a command it runs nothing before its report', () => {
    // Act
    const run = runBuildspec({ VOUCH_TASK: 'test' });

    // Assess
    expect(run.succeeded).toBe(true);
    expect(run.calls).not.toContain('npm');
    expect(run.calls).not.toContain('aws s3 cp');
    expect(JSON.parse(run.taskOutput)).toEqual({
      buildId: 'vouch-orders:b9',
      task: 'test',
      commit: '4f1c2e9d0b7a',
    });
  });

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
    // From install on, the build keeps its Task state alive (HeartbeatSeconds) until its container ends.
    expect(spec.phases.install?.commands.join('\n')).toContain(
      'aws stepfunctions send-task-heartbeat --task-token "$VOUCH_TASK_TOKEN"',
    );
    expect(report).toContain('send-task-success --task-token "$VOUCH_TASK_TOKEN"');
    expect(report).toContain('send-task-failure --task-token "$VOUCH_TASK_TOKEN"');
    expect(spec.phases.build?.commands.join('\n')).toContain('$VOUCH_TASK');
  });

  /**
   * Runs the buildspec's heartbeat loop against a fake `aws` that answers the n-th call with
   * `answers[n]` (exit 0 when it is ''; else the CLI's service error, exit 254, with that text), and
   * returns the loop's exit, output and the calls it made. A call past the answers ends the loop's
   * shell, so a loop that does not stop fails the test instead of hanging it.
   */
  function beat(answers: readonly string[]) {
    const root = mkdtempSync(join(tmpdir(), 'vouch-heartbeat-'));
    const bin = join(root, 'bin');
    const log = join(root, 'calls.log');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'aws'),
      [
        '#!/bin/sh',
        `echo "aws $*" >> '${log}'`,
        `calls=$(wc -l < '${log}')`,
        `[ "$calls" -gt ${answers.length} ] && kill "$PPID"`,
        'case "$calls" in',
        ...answers.map((text, i) =>
          text === '' ? `  ${i + 1}) exit 0 ;;` : `  ${i + 1}) echo "${text}" >&2; exit 254 ;;`,
        ),
        'esac',
        '',
      ].join('\n'),
    );
    chmodSync(join(bin, 'aws'), 0o755);
    const loop = BUILDSPEC.phases.install?.commands.find((c) => c.includes('send-task-heartbeat')) ?? '';

    // The install command starts the loop in the background; `wait` holds the shell until it ends.
    const result = spawnSync('sh', ['-c', `${loop}\nwait $!`], {
      env: {
        PATH: `${bin}:${process.env.PATH ?? ''}`,
        VOUCH_TASK_TOKEN: TOKEN,
        VOUCH_HEARTBEAT_INTERVAL_SECONDS: '0',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    rmSync(root, { recursive: true, force: true });
    return { status: result.status, output: result.stdout + result.stderr, calls };
  }
  const HEARTBEAT = `aws stepfunctions send-task-heartbeat --task-token ${TOKEN}`;
  const error = (code: string) =>
    `An error occurred (${code}) when calling the SendTaskHeartbeat operation: ${code}`;

  it('beats until Step Functions answers TaskTimedOut (the task closed), then stops quietly', () => {
    // Act: two heartbeats answered, then the answer Step Functions gives a token whose task has closed.
    const run = beat(['', '', error('TaskTimedOut')]);

    // Assess: a heartbeat that lands after post_build's SendTaskSuccess neither fails the build nor
    // writes to its log, and none follows it.
    expect(run.status).toBe(0);
    expect(run.output).toBe('');
    expect(run.calls).toEqual(Array(3).fill(HEARTBEAT));
  });

  it.each(['InvalidToken', 'TaskDoesNotExist'])('stops quietly on %s too (the task is gone)', (code) => {
    const run = beat(['', error(code)]);
    expect({ status: run.status, output: run.output, calls: run.calls.length }).toEqual({
      status: 0,
      output: '',
      calls: 2,
    });
  });

  it('keeps beating through a throttling or network error, which passes', () => {
    // Act: throttled past the CLI's retries, then the endpoint unreachable, then answered, then closed.
    const run = beat([
      error('ThrottlingException'),
      'Could not connect to the endpoint URL: "https://states.eu-west-1.amazonaws.com/"',
      '',
      error('TaskTimedOut'),
    ]);

    // Assess: the two passing errors did not stop the heartbeats; the closed task did.
    expect(run.status).toBe(0);
    expect(run.output).toBe('');
    expect(run.calls).toEqual(Array(4).fill(HEARTBEAT));
  });
});
