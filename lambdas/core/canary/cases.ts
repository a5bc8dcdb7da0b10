/**
 * Judge cases as `vouch judge` reads them (like Kayenta's standalone canary analysis): a team replays
 * its own exported metrics. One case as JSON, or many as JSON Lines, each
 * `{ "config": <the .vouch.yml canary section>, "baseline": [period, ...], "canary": [period, ...] }`.
 */
import { z } from 'zod';
import { CanarySamplesError, CanarySpecError } from './errors.ts';
import { type CanaryVerdict, judgeCanaryStep } from './judge.ts';
import { CanaryPeriodSchema } from './periods.ts';
import { parseCanarySpec } from './spec.ts';

export const JudgeCaseSchema = z.strictObject({
  config: z.unknown().optional(),
  baseline: z.array(CanaryPeriodSchema),
  canary: z.array(CanaryPeriodSchema),
});

export interface JudgeCaseProblem {
  /** 1-based line of the input the case starts on. */
  readonly line: number;
  readonly message: string;
}

export type JudgeCasesResult =
  | { readonly ok: true; readonly verdicts: readonly CanaryVerdict[] }
  | { readonly ok: false; readonly problems: readonly JudgeCaseProblem[] };

/** Splits the input into cases with their line numbers: one JSON document, else one case per line. */
interface RawCase {
  readonly line: number;
  readonly value?: unknown;
  readonly error?: string;
}

function casesOf(text: string): RawCase[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  try {
    // A whole document that parses is one case (it may span lines, pretty-printed).
    const value: unknown = JSON.parse(trimmed);
    if (!Array.isArray(value)) return [{ line: text.slice(0, text.search(/\S/)).split('\n').length, value }];
  } catch {
    // Not one document: JSON Lines.
  }
  return text.split('\n').flatMap((source, i): RawCase[] => {
    if (source.trim() === '') return [];
    try {
      return [{ line: i + 1, value: JSON.parse(source) as unknown }];
    } catch (error) {
      return [{ line: i + 1, error: `not JSON: ${(error as Error).message}` }];
    }
  });
}

/**
 * Parses and judges every case, in order. All or nothing: when any case is bad, no verdict is
 * returned and every bad case is named by its line, so a script never mistakes part for the whole.
 */
export function judgeCases(text: string): JudgeCasesResult {
  const cases = casesOf(text);
  if (cases.length === 0) return { ok: false, problems: [{ line: 1, message: 'no case in the input' }] };
  const problems: JudgeCaseProblem[] = [];
  const verdicts: CanaryVerdict[] = [];
  for (const c of cases) {
    if (c.error !== undefined) {
      problems.push({ line: c.line, message: c.error });
      continue;
    }
    const parsed = JudgeCaseSchema.safeParse(c.value);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(case)'}: ${i.message}`);
      problems.push({ line: c.line, message: issues.join('; ') });
      continue;
    }
    try {
      const config = parseCanarySpec(parsed.data.config);
      verdicts.push(judgeCanaryStep({ baseline: parsed.data.baseline, canary: parsed.data.canary, config }));
    } catch (error) {
      if (error instanceof CanarySpecError || error instanceof CanarySamplesError) {
        problems.push({ line: c.line, message: error.message });
        continue;
      }
      throw error;
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, verdicts };
}
