/**
 * CodeBuild on the twin: StartBuild on a template's AWS::CodeBuild::Project runs the project's
 * buildspec (from the template) as a local bash process, in a temp working copy of the service's
 * source, with the project's environment variables and the ones StartBuild overrides. Buildspec 0.2
 * semantics (CodeBuild user guide, "Build specification reference" and "Build phase transitions"):
 * every command runs in the same shell (a variable set in one phase is seen by the next); a failed
 * command fails its phase and skips the rest of it; a failed `install` or `pre_build` ends the build
 * (no `post_build`); a failed `build` still runs `post_build`, with CODEBUILD_BUILD_SUCCEEDING=0; a
 * build past its timeout is stopped where it is (TIMED_OUT, no `post_build`). Source the twin has no
 * folder for fails the build in DOWNLOAD_SOURCE, before any phase.
 *
 * The container's `aws` is the twin's: each `aws s3 cp`, `aws dynamodb get-item` and
 * `aws stepfunctions send-task-*` the buildspec runs is authorised against the project's service role
 * from the template and answered by the twin's fakes (S3, dynalite, the Step Functions tokens); any
 * other command fails as unmodelled. The container runs on the twin's clock: its `sleep` lasts
 * N / time-scale wall seconds. Nothing leaves this machine.
 */
import '../../adapters/local/polyfills.ts';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { ResourceNotFoundException } from '@aws-sdk/client-codebuild';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { parse } from 'yaml';
import { localDynamoClient } from '../../adapters/local/dynalite.ts';
import { TwinSetupError, TwinTemplateError } from '../errors.ts';
import { type AuthorizationRequest, authorize, type RoleIdentity, roleIdentity } from '../iam.ts';
import type { ServiceFake, TwinSdk } from '../sdk.ts';
import type { TwinStepFunctions } from '../stepFunctions.ts';
import { type DeployedTemplates, TWIN_ACCOUNT, TWIN_PARTITION, TWIN_REGION } from '../template.ts';
import { parseS3Uri, s3Authorization, type TwinS3 } from './s3.ts';

export interface TwinProject {
  readonly name: string;
  readonly arn: string;
  /** `owner/name` of the project's GitHub source. */
  readonly repo: string;
  readonly identity: RoleIdentity;
  readonly buildspec: { phases?: Record<string, { commands?: string[] }> };
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutMinutes: number;
}

export type BuildStatus = 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'STOPPED';

export interface TwinBuild {
  readonly id: string;
  readonly arn: string;
  readonly project: TwinProject;
  readonly sourceVersion: string;
  readonly environment: Readonly<Record<string, string>>;
  status: BuildStatus;
  /** Phases as they ended: DOWNLOAD_SOURCE, INSTALL, PRE_BUILD, BUILD, POST_BUILD. */
  readonly phases: { name: string; status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' }[];
  /** What the build printed (its CloudWatch log stream). */
  log: string;
  readonly done: Promise<TwinBuild>;
}

export interface TwinCodeBuildOptions {
  readonly s3: TwinS3;
  readonly stepFunctions: TwinStepFunctions;
  readonly sdk: TwinSdk;
  /** dynalite's endpoint: `aws dynamodb` commands go there after authorisation. */
  readonly dynamoEndpoint: string;
  /** The service source folder of each repository (`owner/name` -> directory). */
  readonly sources: Readonly<Record<string, string>>;
  readonly timeScale: number;
}

const PHASES = ['install', 'pre_build', 'build', 'post_build'] as const;

/** CodeBuild's StartBuild idempotency window (API reference: "valid for 5 minutes"). */
const IDEMPOTENCY_MS = 5 * 60_000;

const AWS_SHIM = `#!/usr/bin/env node
// The build container's aws CLI on the twin: the call goes to the twin, which authorises it against
// the project's role and answers it from its fakes.
(async () => {
  const res = await fetch(process.env.TWIN_AWS_ENDPOINT, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ build: process.env.CODEBUILD_BUILD_ID, cwd: process.cwd(), argv: process.argv.slice(2) }),
  });
  const out = await res.json();
  if (out.stdout) process.stdout.write(out.stdout);
  if (out.stderr) process.stderr.write(out.stderr);
  process.exit(out.code);
})().catch((error) => {
  process.stderr.write(String(error) + '\\n');
  process.exit(255);
});
`;

const SLEEP_SHIM = `#!/bin/sh
# The build container runs on the twin's clock: sleep N lasts N / TWIN_TIME_SCALE wall seconds.
case "$1" in
  ''|*[!0-9.]*) exec /bin/sleep "$@" ;;
esac
exec /bin/sleep "$(awk -v s="$1" -v k="\${TWIN_TIME_SCALE:-1}" 'BEGIN { printf "%.3f", s / k }')"
`;

/** A CLI answer: what `aws` prints and its exit code (0 ok, 254 service error, 252 usage, 255 other). */
interface CliResult {
  readonly stdout?: string;
  readonly stderr?: string;
  readonly code: number;
}

function option(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** `--query` as the buildspec uses it: a dotted path (JMESPath's simplest form). */
function query(value: unknown, path: string | undefined): unknown {
  if (path === undefined) return value;
  return path
    .split('.')
    .reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], value);
}

function output(value: unknown, format: string | undefined): string {
  if (format === 'text') return `${value === undefined || value === null ? 'None' : String(value)}\n`;
  return `${JSON.stringify(value ?? null, null, 4)}\n`;
}

export class TwinCodeBuild {
  readonly projects = new Map<string, TwinProject>();
  readonly builds: TwinBuild[] = [];
  private readonly processes = new Map<string, ChildProcess>();
  private readonly idempotency = new Map<string, { at: number; build: TwinBuild }>();
  private server: Server | undefined;
  private endpoint = '';
  private home: string | undefined;
  private readonly path = process.env.PATH ?? '/usr/bin:/bin';
  private readonly dynamo;

  constructor(
    templates: DeployedTemplates,
    private readonly options: TwinCodeBuildOptions,
  ) {
    this.dynamo = options.sdk.own(localDynamoClient(options.dynamoEndpoint));
    for (const { stackName, logicalId, resource } of templates.resourcesOfType('AWS::CodeBuild::Project')) {
      const p = templates.resolve(stackName, resource.Properties) as {
        Name: string;
        ServiceRole: string;
        TimeoutInMinutes?: number;
        Source: { Type: string; Location?: string; BuildSpec?: string };
        Environment: { EnvironmentVariables?: { Name: string; Value: string; Type?: string }[] };
      };
      const repo = /github\.com\/([^/]+\/[^/.]+)(\.git)?$/.exec(p.Source.Location ?? '')?.[1];
      if (p.Source.Type !== 'GITHUB' || repo === undefined)
        throw new TwinTemplateError(`project ${logicalId}: the twin runs GitHub sources only`);
      if (p.Source.BuildSpec === undefined)
        throw new TwinTemplateError(`project ${logicalId}: no inline buildspec in the template`);
      const name = templates.ref(stackName, logicalId);
      this.projects.set(name, {
        name,
        arn: templates.getAtt(stackName, logicalId, 'Arn'),
        repo,
        identity: roleIdentity(templates, p.ServiceRole),
        buildspec: parse(p.Source.BuildSpec) as TwinProject['buildspec'],
        environment: Object.fromEntries(
          (p.Environment.EnvironmentVariables ?? []).map((v) => [v.Name, v.Value]),
        ),
        // CloudFormation's default for a project without TimeoutInMinutes.
        timeoutMinutes: p.TimeoutInMinutes ?? 60,
      });
    }
  }

  /** Starts the endpoint the containers' `aws` calls, and writes the container's `aws` and `sleep`. */
  async start(): Promise<void> {
    this.home = await mkdtemp(join(tmpdir(), 'vouch-twin-codebuild-'));
    await mkdir(join(this.home, 'bin'));
    await writeFile(join(this.home, 'bin', 'aws'), AWS_SHIM);
    await writeFile(join(this.home, 'bin', 'sleep'), SLEEP_SHIM);
    await chmod(join(this.home, 'bin', 'aws'), 0o755);
    await chmod(join(this.home, 'bin', 'sleep'), 0o755);
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          build: string;
          cwd: string;
          argv: string[];
        };
        void this.cli(body).then((result) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(result));
        });
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    this.server = server;
    this.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  }

  /** Stops every running build (its whole process group) and removes the working copies. */
  async stop(): Promise<void> {
    for (const build of this.builds) if (build.status === 'IN_PROGRESS') this.kill(build.id);
    await Promise.allSettled(this.builds.map((b) => b.done));
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((done) => server.close(() => done()));
    if (this.home) await rm(this.home, { recursive: true, force: true });
  }

  private kill(buildId: string): void {
    const child = this.processes.get(buildId);
    if (child?.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  fake(): ServiceFake {
    return {
      authorization: (command, input): AuthorizationRequest[] => {
        const project = String(input.projectName ?? '');
        const arn = `arn:${TWIN_PARTITION}:codebuild:${TWIN_REGION}:${TWIN_ACCOUNT}:project/${project}`;
        if (command === 'StartBuild') return [{ action: 'codebuild:StartBuild', resource: arn }];
        if (command === 'BatchGetBuilds') {
          return (input.ids as string[]).map((id) => ({
            action: 'codebuild:BatchGetBuilds',
            resource: `arn:${TWIN_PARTITION}:codebuild:${TWIN_REGION}:${TWIN_ACCOUNT}:project/${id.split(':')[0]}`,
          }));
        }
        throw new TwinTemplateError(`the twin CodeBuild fake does not model ${command}`);
      },
      handle: async (command, input) => {
        if (command === 'BatchGetBuilds') {
          const found = this.builds.filter((b) => (input.ids as string[]).includes(b.id));
          return { builds: found.map((b) => ({ id: b.id, arn: b.arn, buildStatus: b.status })) };
        }
        const project = this.projects.get(String(input.projectName));
        if (!project) {
          throw new ResourceNotFoundException({
            message: `Project cannot be found: arn:aws:codebuild:${TWIN_REGION}:${TWIN_ACCOUNT}:project/${input.projectName}`,
            $metadata: { httpStatusCode: 400 },
          });
        }
        const token = input.idempotencyToken as string | undefined;
        const earlier = token ? this.idempotency.get(token) : undefined;
        if (earlier && Date.now() - earlier.at < IDEMPOTENCY_MS)
          return { build: this.describe(earlier.build) };
        const overrides = (input.environmentVariablesOverride ?? []) as { name: string; value: string }[];
        const build = this.run(
          project,
          String(input.sourceVersion ?? 'HEAD'),
          Object.fromEntries(overrides.map((v) => [v.name, v.value])),
          (input.timeoutInMinutesOverride as number | undefined) ?? project.timeoutMinutes,
        );
        if (token) this.idempotency.set(token, { at: Date.now(), build });
        return { build: this.describe(build) };
      },
    };
  }

  private describe(b: TwinBuild) {
    return {
      id: b.id,
      arn: b.arn,
      projectName: b.project.name,
      buildStatus: b.status,
      sourceVersion: b.sourceVersion,
    };
  }

  private run(
    project: TwinProject,
    sourceVersion: string,
    overrides: Record<string, string>,
    timeoutMinutes: number,
  ): TwinBuild {
    const id = `${project.name}:${randomUUID()}`;
    const environment = { ...project.environment, ...overrides };
    // `done` settles with the build itself, so the promise is made first and settled when it ends.
    const { promise: done, resolve: settle } = Promise.withResolvers<TwinBuild>();
    const build: TwinBuild = {
      id,
      arn: `arn:${TWIN_PARTITION}:codebuild:${TWIN_REGION}:${TWIN_ACCOUNT}:build/${id}`,
      project,
      sourceVersion,
      environment,
      status: 'IN_PROGRESS',
      phases: [],
      log: '',
      done,
    };
    this.execute(build, timeoutMinutes).then(
      () => settle(build),
      (error: Error) => {
        build.log += `\n[twin] ${error.message}\n`;
        build.status = 'FAILED';
        settle(build);
      },
    );
    this.builds.push(build);
    return build;
  }

  private async execute(build: TwinBuild, timeoutMinutes: number): Promise<void> {
    const home = this.home;
    if (home === undefined) throw new TwinSetupError('the twin CodeBuild fake is not started');
    const source = this.options.sources[build.project.repo];
    if (source === undefined) {
      build.phases.push({ name: 'DOWNLOAD_SOURCE', status: 'FAILED' });
      build.log += `CLIENT_ERROR: repository not found for primary source and source version ${build.sourceVersion}\n`;
      build.status = 'FAILED';
      return;
    }
    const work = await mkdtemp(join(home, 'build-'));
    const srcDir = join(work, 'src');
    await cp(source, srcDir, { recursive: true });
    build.phases.push({ name: 'DOWNLOAD_SOURCE', status: 'SUCCEEDED' });
    const script = await this.driver(build, work);
    const statusFile = join(work, 'phases');
    const child = spawn('bash', [script], {
      cwd: srcDir,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: `${join(home, 'bin')}:${this.path}`,
        HOME: work,
        TMPDIR: work,
        AWS_REGION: TWIN_REGION,
        AWS_DEFAULT_REGION: TWIN_REGION,
        CODEBUILD_BUILD_ID: build.id,
        CODEBUILD_BUILD_ARN: build.arn,
        CODEBUILD_SRC_DIR: srcDir,
        CODEBUILD_SOURCE_VERSION: build.sourceVersion,
        CODEBUILD_RESOLVED_SOURCE_VERSION: build.sourceVersion,
        CODEBUILD_INITIATOR: 'twin',
        TWIN_AWS_ENDPOINT: this.endpoint,
        TWIN_TIME_SCALE: String(this.options.timeScale),
        TWIN_PHASES: statusFile,
        ...build.environment,
      },
    });
    this.processes.set(build.id, child);
    child.stdout?.on('data', (c: Buffer) => {
      build.log += c.toString('utf8');
    });
    child.stderr?.on('data', (c: Buffer) => {
      build.log += c.toString('utf8');
    });
    let timedOut = false;
    // setTimeout is the twin's (scaled) clock: the build's timeout passes in twin time.
    const timer = setTimeout(() => {
      timedOut = true;
      this.kill(build.id);
    }, timeoutMinutes * 60_000);
    await new Promise<void>((done) => child.on('close', () => done()));
    clearTimeout(timer);
    // The container is gone: anything it left running in the background (a heartbeat loop) with it.
    this.kill(build.id);
    this.processes.delete(build.id);
    const ended = (await readFile(statusFile, 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [name, status] = line.split(' ');
        return { name: String(name).toUpperCase(), status: status as 'SUCCEEDED' | 'FAILED' };
      });
    build.phases.push(...ended);
    if (timedOut) {
      build.phases.push({ name: 'TIMEOUT', status: 'TIMED_OUT' });
      build.status = 'TIMED_OUT';
    } else {
      build.status = ended.some((p) => p.status === 'FAILED') ? 'FAILED' : 'SUCCEEDED';
    }
  }

  /** The bash script that runs the buildspec's phases in one shell, as CodeBuild's 0.2 runner does. */
  private async driver(build: TwinBuild, work: string): Promise<string> {
    const lines = [
      'set +e',
      'exec 3>>"$TWIN_PHASES"',
      'export CODEBUILD_BUILD_SUCCEEDING=1',
      '__twin_failed=',
    ];
    const phases = build.project.buildspec.phases ?? {};
    for (const phase of PHASES) {
      const commands = phases[phase]?.commands ?? [];
      if (commands.length === 0) continue;
      // install and pre_build run only if nothing failed; build likewise; post_build unless install or
      // pre_build failed (a failed build phase still runs post_build).
      const guard =
        phase === 'post_build'
          ? '[ "$__twin_failed" = "" ] || [ "$__twin_failed" = build ]'
          : '[ "$__twin_failed" = "" ]';
      lines.push(
        `if ${guard}; then`,
        `  echo "[Container] Entering phase ${phase.toUpperCase()}"`,
        '  __twin_ok=1',
      );
      for (const [i, command] of commands.entries()) {
        const file = join(work, `${phase}-${i}.sh`);
        await writeFile(file, `${command}\n`);
        lines.push(
          '  if [ "$__twin_ok" = 1 ]; then',
          `    . "${file}"`,
          '    __twin_rc=$?',
          `    if [ "$__twin_rc" -ne 0 ]; then __twin_ok=0; echo "[Container] Command did not exit successfully (${phase} command ${i + 1}) exit status $__twin_rc"; fi`,
          '  fi',
        );
      }
      lines.push(
        `  if [ "$__twin_ok" = 1 ]; then echo "${phase} SUCCEEDED" >&3; else echo "${phase} FAILED" >&3;`,
        phase === 'post_build' ? '  :' : `    __twin_failed=${phase}; export CODEBUILD_BUILD_SUCCEEDING=0`,
        '  fi',
        'fi',
      );
    }
    const file = join(work, 'driver.sh');
    await writeFile(file, `${lines.join('\n')}\n`);
    return file;
  }

  /** One `aws` command of a build, as its project's role may make it. */
  private async cli(request: { build: string; cwd: string; argv: string[] }): Promise<CliResult> {
    const build = this.builds.find((b) => b.id === request.build);
    if (!build) return { stderr: 'the twin knows no such build\n', code: 255 };
    const [service, operation] = request.argv;
    const argv = request.argv;
    let call: { service: string; command: string; input: Record<string, unknown> } | undefined;
    try {
      switch (`${service} ${operation}`) {
        case 's3 cp': {
          const [from, to] = argv.slice(2).filter((a) => !a.startsWith('--'));
          if (from === undefined || to === undefined)
            return { stderr: 'usage: aws s3 cp <from> <to>\n', code: 252 };
          if (to.startsWith('s3://') && !from.startsWith('s3://')) {
            const { bucket, key } = parseS3Uri(to);
            call = { service: 's3', command: 'PutObject', input: { Bucket: bucket, Key: key } };
            await this.authorize(build, call);
            const body = await readFile(isAbsolute(from) ? from : resolve(request.cwd, from));
            await this.options.s3.putObject(bucket, key, body);
            return this.done(build, call, { stdout: `upload: ${from} to ${to}\n`, code: 0 });
          }
          if (from.startsWith('s3://') && !to.startsWith('s3://')) {
            const { bucket, key } = parseS3Uri(from);
            call = { service: 's3', command: 'GetObject', input: { Bucket: bucket, Key: key } };
            await this.authorize(build, call);
            const body = await this.options.s3.getObject(bucket, key);
            await writeFile(isAbsolute(to) ? to : resolve(request.cwd, to), body);
            return this.done(build, call, { stdout: `download: ${from} to ${to}\n`, code: 0 });
          }
          return { stderr: 'the twin aws CLI copies between a file and S3 only\n', code: 255 };
        }
        case 'dynamodb get-item': {
          const key = JSON.parse(option(argv, '--key') ?? '{}') as Record<string, { S?: string }>;
          const table = option(argv, '--table-name');
          call = { service: 'dynamodb', command: 'GetItem', input: { TableName: table, Key: key } };
          await this.authorize(build, call);
          const out = await this.dynamo.send(new GetItemCommand({ TableName: table, Key: key as never }));
          const { $metadata: _, ...result } = out;
          const value = query(result, option(argv, '--query'));
          return this.done(build, call, { stdout: output(value, option(argv, '--output')), code: 0 });
        }
        case 'stepfunctions send-task-success':
        case 'stepfunctions send-task-failure':
        case 'stepfunctions send-task-heartbeat': {
          const command = {
            'send-task-success': 'SendTaskSuccess',
            'send-task-failure': 'SendTaskFailure',
            'send-task-heartbeat': 'SendTaskHeartbeat',
          }[operation as string] as string;
          const input: Record<string, unknown> = { taskToken: option(argv, '--task-token') };
          if (command === 'SendTaskSuccess') input.output = option(argv, '--task-output');
          if (command === 'SendTaskFailure') {
            input.error = option(argv, '--error');
            input.cause = option(argv, '--cause');
          }
          call = { service: 'states', command, input };
          await this.authorize(build, call);
          // An armed fault (a throttle that outlasted the CLI's own retries) answers instead.
          const fault = this.options.sdk.takeFault('states', command, input);
          if (fault?.error) throw fault.error();
          await this.options.stepFunctions.fake().handle(command, input, { command: {}, client: {} });
          return this.done(build, call, { code: 0 });
        }
        default:
          return { stderr: `the twin's aws CLI does not model: aws ${argv.join(' ')}\n`, code: 255 };
      }
    } catch (error) {
      const e = error as Error;
      if (call) this.record(build, call, e.name);
      // The AWS CLI's wording for a service error, exit status 254.
      return {
        stderr: `\nAn error occurred (${e.name}) when calling the ${call?.command ?? operation} operation: ${e.message}\n`,
        code: 254,
      };
    }
  }

  private async authorize(
    build: TwinBuild,
    call: { service: string; command: string; input: Record<string, unknown> },
  ): Promise<void> {
    const session = build.id.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
    await authorize(build.project.identity, session, this.requests(call));
  }

  private requests(call: {
    service: string;
    command: string;
    input: Record<string, unknown>;
  }): AuthorizationRequest[] {
    if (call.service === 's3') return s3Authorization(call.command, call.input);
    if (call.service === 'dynamodb') {
      const key = call.input.Key as Record<string, { S?: string }>;
      const hashKey = (key.pk ?? Object.values(key)[0])?.S ?? '';
      return [
        {
          action: 'dynamodb:GetItem',
          resource: `arn:${TWIN_PARTITION}:dynamodb:${TWIN_REGION}:${TWIN_ACCOUNT}:table/${String(call.input.TableName)}`,
          // The partition key value of the item: what a LeadingKeys condition limits.
          context: { 'dynamodb:LeadingKeys': [hashKey] },
        },
      ];
    }
    return this.options.stepFunctions.fake().authorization(call.command, call.input);
  }

  private done(build: TwinBuild, call: { service: string; command: string }, result: CliResult): CliResult {
    this.record(build, call, 'ok');
    return result;
  }

  private record(build: TwinBuild, call: { service: string; command: string }, outcome: string): void {
    this.options.sdk.calls.push({
      function: `codebuild:${build.project.name}`,
      service: call.service,
      command: call.command,
      outcome,
    });
  }
}
