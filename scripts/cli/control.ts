/**
 * Control by people, through the running local platform's API (`.vouch/platform.json` apiUrl):
 * vouch status, vouch promote, vouch abort, vouch rollback.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ControlPath } from '../../lambdas/adapters/dashboard/source.ts';
import { AWS_OPTIONS, type AwsFlags } from './awsFlags.ts';
import { abortHelp, promoteHelp, rollbackHelp, statusHelp } from './commandHelp.ts';
import { findPlatformFile } from './platformFile.ts';
import type { CliCommand, CliContext } from './types.ts';

/** The running platform's API URL, from the nearest `.vouch/platform.json`. */
export function findPlatformApi(cwd: string): string | undefined {
  const file = findPlatformFile(cwd);
  return file ? (JSON.parse(readFileSync(file, 'utf8')) as { apiUrl?: string }).apiUrl : undefined;
}

async function call(
  ctx: CliContext,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown } | undefined> {
  const api = ctx.env.VOUCH_API_URL ?? findPlatformApi(ctx.cwd);
  if (!api) {
    ctx.err('no local platform is running here: start it with `npm start` (or set VOUCH_API_URL)');
    return undefined;
  }
  try {
    const response = await fetch(`${api}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    return { status: response.status, json: await response.json() };
  } catch (error) {
    ctx.err(
      `the local platform at ${api} does not answer (${(error as Error).message}); is \`npm start\` running?`,
    );
    return undefined;
  }
}

type ApiResult = { status: number; json: unknown } | undefined;

/**
 * Prints the platform's answer as a sentence (or the JSON with --json). Exit codes as the README says:
 * 0 done, 1 nothing to act on or the platform failed, 2 an unknown name or bad usage (4xx).
 */
function report(
  ctx: CliContext,
  result: ApiResult,
  json: boolean,
  describe: (body: Record<string, unknown>) => string[],
): number {
  if (!result) return 1;
  const body = (result.json ?? {}) as Record<string, unknown>;
  if (result.status >= 400) {
    ctx.err(`refused: ${typeof body.error === 'string' ? body.error : JSON.stringify(body)}`);
    return result.status < 500 ? 2 : 1;
  }
  if (json) ctx.out(JSON.stringify(body, null, 2));
  else for (const line of describe(body)) ctx.out(line);
  return body.done === false ? 1 : 0;
}

const stepOf = (step: unknown) => (typeof step === 'number' ? ` at ${step} %` : '');

function parseControl(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, environment: { type: 'string' }, ...AWS_OPTIONS },
  });
}

/** A control action on the deployed platform; the AWS SDK loads only then (the local path calls the API). */
async function onAws(
  ctx: CliContext,
  flags: AwsFlags,
  action: (control: ControlPath) => Promise<unknown>,
): Promise<number> {
  const { controlOnAws } = await import('./aws.ts');
  return controlOnAws(ctx, flags, action);
}

const oneService = (argv: string[], usage: string, ctx: CliContext, extra = 0) => {
  const { values, positionals } = parseControl(argv);
  if (positionals.length !== 1 + extra) {
    ctx.err(usage);
    return undefined;
  }
  return Object.assign(positionals, { aws: values.aws ? values : undefined });
};

export const statusCommand: CliCommand = {
  ...statusHelp,
  async run(argv, ctx) {
    let parsed: ReturnType<typeof parseControl>;
    try {
      parsed = parseControl(argv);
    } catch (error) {
      ctx.err(`vouch status: ${(error as Error).message}`);
      return 2;
    }
    const { positionals, values } = parsed;
    if (positionals.length > 1) {
      ctx.err(this.usage);
      return 2;
    }
    const service = positionals[0];
    if (values.aws) {
      const { statusOnAws } = await import('./awsReads.ts'); // the AWS SDK, loaded only for --aws
      return statusOnAws(ctx, values, { service, json: values.json });
    }
    const result = await call(ctx, `/api/status${service ? `?service=${encodeURIComponent(service)}` : ''}`);
    if (!result || result.status >= 400 || values.json) return report(ctx, result, true, () => []);
    const status = result.json as {
      services: { service: string; where: Record<string, { version: number }> }[];
      runs: { name: string; service: string; status: string; recent: string[] }[];
      openWindows: {
        service: string;
        environment: string;
        step?: number;
        closesInRealSeconds: number;
      }[];
    };
    for (const s of status.services) {
      const where = Object.entries(s.where).map(([env, v]) => `${env} v${v.version}`);
      ctx.out(`${s.service}: ${where.join(', ') || 'not released yet'}`);
    }
    for (const r of status.runs.slice(0, 5))
      ctx.out(`  run ${r.name}: ${r.status}  (${r.recent.at(-1) ?? 'starting'})`);
    for (const w of status.openWindows) {
      ctx.out(
        `  open window: ${w.service} ${w.environment}${w.step ? ` at ${w.step} %` : ''}, closes in ${w.closesInRealSeconds} s`,
      );
    }
    return 0;
  },
};

export const promoteCommand: CliCommand = {
  ...promoteHelp,
  async run(argv, ctx) {
    const { values, positionals } = parseControl(argv);
    if (positionals.length !== 1) {
      ctx.err(this.usage);
      return 2;
    }
    const service = positionals[0];
    if (values.aws) return onAws(ctx, values, (c) => c.promote(positionals[0] as string, values.environment));
    return report(
      ctx,
      await call(ctx, '/api/promote', {
        service,
        ...(values.environment ? { environment: values.environment } : {}),
      }),
      values.json === true,
      (body) =>
        body.done === false
          ? [`nothing to promote: ${body.reason}`]
          : (body.windows as { environment: string; step?: number; verdict: string }[]).map(
              (w) => `${service} ${w.environment}${stepOf(w.step)}: window closed now, verdict ${w.verdict}`,
            ),
    );
  },
};

export const abortCommand: CliCommand = {
  ...abortHelp,
  async run(argv, ctx) {
    const args = oneService(argv, this.usage, ctx);
    if (!args) return 2;
    if (args.aws) return onAws(ctx, args.aws, (c) => c.abort(args[0] as string));
    return report(
      ctx,
      await call(ctx, '/api/abort', { service: args[0] }),
      argv.includes('--json'),
      (body) => {
        const runs = body.aborted as string[];
        return runs.length === 0
          ? [`nothing to abort: no run of ${args[0]} is in progress`]
          : [`aborted ${runs.join(', ')}: they fail at their window, roll back and clean up`];
      },
    );
  },
};

export const rollbackCommand: CliCommand = {
  ...rollbackHelp,
  async run(argv, ctx) {
    const args = oneService(argv, this.usage, ctx, 1);
    if (!args) return 2;
    if (args.aws) return onAws(ctx, args.aws, (c) => c.rollback(args[0] as string, args[1] as string));
    return report(
      ctx,
      await call(ctx, '/api/rollback', { service: args[0], environment: args[1] }),
      argv.includes('--json'),
      (body) => [`${args[0]} ${args[1]}: ${body.reason}`],
    );
  },
};
