/**
 * No `as unknown as` in product code (lambdas/, lib/, scripts/): a value crossing a boundary (a task's
 * payload, a stored item, a config section) is parsed with its schema, so a break between the compiler,
 * the table and the tasks fails where it happens instead of hiding behind a cast. The twin
 * (lambdas/twin) is product code here too: where it patches a library (a client's `send`, a state
 * machine's `run`) it goes through Reflect or the library's own types, not a cast. Read from the
 * TypeScript syntax tree.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return /\.(ts|mts)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

function doubleCastsIn(file: string, text = readFileSync(join(root, file), 'utf8')): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const isCast = (node: ts.Node) => ts.isAsExpression(node) || ts.isTypeAssertionExpression(node);
  const unparenthesized = (node: ts.Expression): ts.Expression =>
    ts.isParenthesizedExpression(node) ? unparenthesized(node.expression) : node;
  const visit = (node: ts.Node) => {
    const inner = isCast(node) ? unparenthesized(node.expression) : undefined;
    if (inner && isCast(inner) && inner.type.kind === ts.SyntaxKind.UnknownKeyword) {
      found.push(`${file}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

it('finds a double cast wherever it stands, and nothing else', () => {
  const text = [
    'const a = x as unknown as Y;',
    'const b = f(x as unknown as Y, (y as unknown) as Z);',
    'const c = x as Y; const d = x as unknown; const e = <Y>x; const f = (x as unknown) satisfies Z;',
    'const g = <Y>(<unknown>x);',
  ].join('\n');

  expect(doubleCastsIn('sample.ts', text)).toEqual([
    'sample.ts:1',
    'sample.ts:2',
    'sample.ts:2',
    'sample.ts:4',
  ]);
});

it('has no `as unknown as` in product code', () => {
  const files = ['lambdas', 'lib', 'scripts']
    .flatMap((dir) => sourceFiles(join(root, dir)))
    .map((path) => relative(root, path));
  const casts = files.flatMap((file) => doubleCastsIn(file));

  expect(files.length).toBeGreaterThan(100); // the scan reads the tree
  expect(casts).toEqual([]);
});
