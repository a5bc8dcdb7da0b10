// `vouch judge [FILE|-]`: the canary judge on a team's own exported metrics, one verdict per case.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { judgeCases } from '../../lambdas/core/canary/cases.ts';
import { judgeHelp } from './commandHelp.ts';
import type { CliCommand } from './types.ts';

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

export const judgeCommand: CliCommand = {
  ...judgeHelp,
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
