// `vouch judge [FILE|-]`: the canary judge on a team's own exported metrics, one verdict per case.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { judgeCases } from '../../lambdas/core/canary/cases.ts';
import type { CliCommand } from './types.ts';

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

export const judgeCommand: CliCommand = {
  name: 'judge',
  summary: 'judge canary vs baseline on your own per-period metrics (one verdict per case)',
  usage: `vouch judge [FILE|-]

Runs the canary judge on cases read from FILE, or from standard input with - (the default):
one case as JSON, or many as JSON Lines, each
  { "config": <the .vouch.yml canary section>, "baseline": [period, ...], "canary": [period, ...] }
with period { "start": "<ISO time>", "requests": n, "errors": n, "latencyMs": { "p50": x, "p90": y, "p99": z } }
as CloudWatch gives them per slot (a period without traffic is simply absent).
Prints one verdict per case as JSON Lines, in order, each with a top-level "outcome" (PASS, FAIL or
INCONCLUSIVE) and the numbers of every signal. A bad case prints nothing for any case: every problem
is named by its line, and the exit code is 2.

Exit codes: 0 no case failed, 1 a case's verdict is FAIL, 2 bad usage or input.`,
  async run(argv, ctx) {
    const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
    if (positionals.length > 1) {
      ctx.err('vouch judge: one input at most (a file, or - for standard input)');
      return 2;
    }
    const source = positionals[0] ?? '-';
    let text: string;
    if (source === '-') {
      text = await readAll(process.stdin);
    } else {
      const file = resolve(ctx.cwd, source);
      if (!existsSync(file)) {
        ctx.err(`vouch judge: ${source}: not found`);
        return 2;
      }
      text = readFileSync(file, 'utf8');
    }
    const result = judgeCases(text);
    const where = source === '-' ? 'stdin' : source;
    if (!result.ok) {
      for (const p of result.problems) ctx.err(`${where}:${p.line}: ${p.message}`);
      ctx.err(
        `vouch judge: ${result.problems.length} bad case${result.problems.length === 1 ? '' : 's'}; nothing judged`,
      );
      return 2;
    }
    for (const verdict of result.verdicts) ctx.out(JSON.stringify(verdict));
    return result.verdicts.some((v) => v.outcome === 'FAIL') ? 1 : 0;
  },
};
