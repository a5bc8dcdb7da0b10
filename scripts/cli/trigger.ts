// `vouch trigger`: sign and post a GitHub-style push for the current commit to the local platform's
// webhook, or (--remote) start the run on AWS through the Step Functions API.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SFNClient } from '@aws-sdk/client-sfn';
import { createSfnStarter } from '../../lambdas/adapters/aws/webhook/sfnStarter.ts';
import {
  headCommit,
  readFileAtCommit,
  repoName,
  workingCopyRoot,
} from '../../lambdas/adapters/local/gitWorkingCopy.ts';
import { gitHubPushPayload, signedGitHubHeaders } from '../../lambdas/core/webhook/gitHubPush.ts';
import { parseRunSpec } from '../../lambdas/core/webhook/runSpec.ts';
import { triggerHelp } from './commandHelp.ts';
import { UsageError } from './errors.ts';
import { findPlatformFile } from './platformFile.ts';
import type { CliCommand, CliContext } from './types.ts';

interface PlatformFile {
  readonly webhookUrl?: string;
  readonly webhookSecretFile?: string;
}

export interface TriggerDeps {
  /** @default a client built on first --remote use */
  readonly sfn?: SFNClient;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

export function createTriggerCommand(deps: TriggerDeps = {}): CliCommand {
  let sfn = deps.sfn;
  return {
    ...triggerHelp,
    async run(argv, ctx) {
      let options: ReturnType<typeof parse>;
      try {
        options = parse(argv);
      } catch (error) {
        ctx.err(error instanceof Error ? error.message : String(error));
        ctx.err('Run vouch trigger --help for usage.');
        return 2;
      }
      if (options.help === true) {
        ctx.out(triggerHelp.usage);
        return 0;
      }
      try {
        if (options.remote === true) {
          sfn ??= new SFNClient({});
          return await triggerRemote(options, ctx, sfn);
        }
        return await triggerLocal(options, ctx, deps.fetch ?? globalThis.fetch);
      } catch (error) {
        if (error instanceof UsageError) {
          ctx.err(error.message);
          return 2;
        }
        ctx.err(`vouch trigger: ${error instanceof Error ? error.message : String(error)}`);
        return 1;
      }
    },
  };
}

export const triggerCommand: CliCommand = createTriggerCommand();

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      remote: { type: 'boolean' },
      url: { type: 'string' },
      secret: { type: 'string' },
      platform: { type: 'string' },
      'state-machine': { type: 'string' },
    },
  }).values;
}

async function currentPush(cwd: string) {
  let root: string;
  try {
    root = await workingCopyRoot(cwd);
  } catch {
    throw new UsageError(`${cwd} is not inside a git working copy`);
  }
  const head = await headCommit(root).catch(() => {
    throw new UsageError('the repository has no commit yet');
  });
  if (head.branch === undefined)
    throw new UsageError('HEAD is detached: check out a branch to trigger its pipeline');
  return { root, head, branch: head.branch, repo: await repoName(root) };
}

async function triggerLocal(
  options: ReturnType<typeof parse>,
  ctx: CliContext,
  doFetch: typeof fetch,
): Promise<number> {
  const platformPath = options.platform ?? findPlatformFile(ctx.cwd);
  const platform = platformPath === undefined ? {} : readPlatformFile(platformPath);
  const url = options.url ?? platform.webhookUrl;
  if (url === undefined) {
    throw new UsageError(
      'no webhook URL: pass --url, or start the local platform (npm start), which writes .vouch/platform.json',
    );
  }
  const secret =
    options.secret ?? nonEmpty(ctx.env.VOUCH_WEBHOOK_SECRET) ?? readSecretFile(platform, platformPath);
  if (secret === undefined) {
    throw new UsageError(
      'no webhook secret: pass --secret, set VOUCH_WEBHOOK_SECRET, or set webhookSecretFile in .vouch/platform.json',
    );
  }

  const { root, head, branch, repo } = await currentPush(ctx.cwd);
  if ((await readFileAtCommit(root, head.sha)) === undefined)
    throw new UsageError(
      `${root} has no .vouch.yml at ${head.sha.slice(0, 12)}: it is not a Vouch service (run this in a service's working copy)`,
    );
  const body = JSON.stringify(
    gitHubPushPayload({
      repo,
      branch,
      commit: head.sha,
      ...(head.parent === undefined ? {} : { before: head.parent }),
      message: head.subject,
      cloneUrl: pathToFileURL(root).href,
    }),
  );
  const delivery = `cli-${randomUUID()}`;
  let response: Response;
  try {
    response = await doFetch(url, {
      method: 'POST',
      headers: await signedGitHubHeaders(secret, body, delivery),
      body,
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    ctx.err(
      `vouch trigger: could not reach ${url}: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 1;
  }
  const text = await response.text();
  let answer: { outcome?: string; reason?: string; execution?: string } = {};
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    answer = { reason: text.slice(0, 200) };
  }
  const line = `${response.status} ${answer.outcome ?? ''}: ${answer.reason ?? ''}${answer.execution ? ` (execution ${answer.execution})` : ''}`;
  const what = `${repo}@${head.sha.slice(0, 12)} on ${branch}`;
  // A push the endpoint accepted but that starts nothing (another branch, say) is not a started run:
  // a CI gate or hook built on `vouch trigger` must see that.
  if (response.ok && answer.outcome !== 'ignored') {
    ctx.out(`${what}: ${line}`);
    if (answer.execution) ctx.out(`follow it: the platform's terminal, or vouch status ${spec(root)}`);
    return 0;
  }
  ctx.err(`${what}: ${line}`);
  return 1;
}

async function triggerRemote(
  options: ReturnType<typeof parse>,
  ctx: CliContext,
  sfn: SFNClient,
): Promise<number> {
  const stateMachineArn = options['state-machine'] ?? nonEmpty(ctx.env.VOUCH_STATE_MACHINE_ARN);
  if (stateMachineArn === undefined) {
    throw new UsageError(
      '--remote needs the state machine: pass --state-machine ARN or set VOUCH_STATE_MACHINE_ARN',
    );
  }
  const { root, head, branch, repo } = await currentPush(ctx.cwd);
  const text = await readFileAtCommit(root, head.sha);
  if (text === undefined)
    throw new UsageError(`no .vouch.yml at ${head.sha}: this repository is not a Vouch service`);
  let spec: ReturnType<typeof parseRunSpec>;
  try {
    spec = parseRunSpec(text);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const execution = `cli-${randomUUID()}`;
  const starter = createSfnStarter({ client: sfn, stateMachineFor: () => stateMachineArn });
  const started = await starter.start(execution, {
    service: spec.service,
    team: spec.team,
    solution: spec.solution,
    repo,
    commit: head.sha,
    branch,
    execution,
    pipe: spec.pipe,
    config: spec.config,
  });
  ctx.out(`${repo}@${head.sha.slice(0, 12)} on ${branch}: started ${started.executionArn}`);
  return 0;
}

function readPlatformFile(path: string): PlatformFile {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (data === null || typeof data !== 'object') throw new UsageError(`${path} is not a JSON object`);
  const { webhookUrl, webhookSecretFile } = data as Record<string, unknown>;
  return {
    ...(typeof webhookUrl === 'string' ? { webhookUrl } : {}),
    ...(typeof webhookSecretFile === 'string' ? { webhookSecretFile } : {}),
  };
}

function readSecretFile(platform: PlatformFile, platformPath: string | undefined): string | undefined {
  if (platform.webhookSecretFile === undefined || platformPath === undefined) return undefined;
  // Relative to the project root: the directory that holds .vouch/.
  const file = resolve(dirname(dirname(platformPath)), platform.webhookSecretFile);
  try {
    return nonEmpty(readFileSync(file, 'utf8').trim());
  } catch (error) {
    throw new UsageError(
      `cannot read the webhook secret file ${file}: ${error instanceof Error ? error.message : ''}`,
    );
  }
}

/** The service name of the working copy's .vouch.yml, for the follow-up hint. */
function spec(root: string): string {
  try {
    return parseRunSpec(readFileSync(resolve(root, '.vouch.yml'), 'utf8')).service;
  } catch {
    return '<service>';
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
