import { type Document, isMap, isPair, isScalar, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { SpecError, type SpecProblem } from './errors.ts';

/** A parsed YAML document that can say where any value came from. */
export interface YamlSource {
  readonly file: string;
  readonly data: unknown;
  locate(path: readonly PropertyKey[], key?: string): { line: number; col: number };
}

/** Parses YAML text; syntax errors (bad indentation, duplicate keys, tabs) become a SpecError with positions. */
export function parseYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new SpecError(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { file, line: pos.line, col: pos.col, path: '', message: yamlMessage(e.code, e.message) };
      }),
    );
  }
  return {
    file,
    data: doc.toJS({ maxAliasCount: 50 }),
    locate: (path, key) => locateNode(doc, lineCounter, path, key),
  };
}

function yamlMessage(code: string, message: string): string {
  const first = message.split('\n')[0] ?? message;
  return `invalid YAML (${code.toLowerCase().replaceAll('_', ' ')}): ${first.replace(/ at line \d+, column \d+:?$/, '')}`;
}

/** Finds the node at `path`, or its nearest existing ancestor; with `key`, the key token of that map entry. */
function locateNode(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly PropertyKey[],
  key?: string,
): { line: number; col: number } {
  let node: unknown = doc.contents;
  for (const segment of path) {
    const next = (node as { get?: (k: unknown, keepScalar: boolean) => unknown } | null)?.get?.(
      typeof segment === 'symbol' ? String(segment) : segment,
      true,
    );
    if (next === undefined || next === null) break;
    node = next;
  }
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
    if (pair && isScalar(pair.key) && pair.key.range) return lineCounter.linePos(pair.key.range[0]);
  }
  const range = (node as Node | null)?.range;
  return range ? lineCounter.linePos(range[0]) : { line: 1, col: 1 };
}

export function dottedPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, seg) => {
    if (typeof seg === 'number') return `${acc}[${seg}]`;
    return acc ? `${acc}.${String(seg)}` : String(seg);
  }, '');
}

/** Validates `source.data` with a zod schema; every issue becomes a located problem. */
export function validateYaml<S extends z.ZodType>(source: YamlSource, schema: S): z.output<S> {
  const result = schema.safeParse(source.data);
  if (result.success) return result.data;
  const problems: SpecProblem[] = result.error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        file: source.file,
        ...source.locate(issue.path, key),
        path: dottedPath([...issue.path, key]),
        message: `unknown key "${key}"${UNKNOWN_KEY_HINT}`,
      }));
    }
    return [
      {
        file: source.file,
        ...source.locate(issue.path),
        path: dottedPath(issue.path),
        message: describeIssue(issue, source.data),
      },
    ];
  });
  problems.sort((a, b) => a.line - b.line || a.col - b.col);
  throw new SpecError(problems);
}

const UNKNOWN_KEY_HINT = ' (check the spelling; the README has the .vouch.yml reference)';

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = data;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

function describeIssue(issue: z.core.$ZodIssue, data: unknown): string {
  const got = valueAt(data, issue.path);
  if (issue.code === 'invalid_type' && got === undefined) {
    return `required, expected ${issue.expected}`;
  }
  const shown =
    got === undefined || (typeof got === 'object' && got !== null)
      ? ''
      : ` (got ${JSON.stringify(got)?.slice(0, 60)})`;
  const message = issue.message.replace(/^Invalid input: /, '').replace(/^Invalid option: /, '');
  return `${message}${issue.code === 'invalid_type' ? '' : shown}`;
}
