/**
 * No `as unknown as` in product code (lambdas/, lib/, scripts/): a value crossing a boundary (a task's
 * payload, a stored item, a config section) is parsed with its schema, so a break between the compiler,
 * the table and the tasks fails where it happens instead of hiding behind a cast. Read from the
 * TypeScript syntax tree. What is left is listed by file with the reason it is not yet typed.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');
const remaining: Readonly<Record<string, string>> = {
  // chart.js types its canvas as the DOM's CanvasRenderingContext2D; @napi-rs/canvas implements the
  // drawing API without the DOM-only members (drawFocusIfNeeded, canvas as an HTMLCanvasElement).
  'lambdas/adapters/local/chart/metricChart.ts': 'library types',
  // The guards for unwired ports are Proxies; typing them per port is the next step.
  'lambdas/adapters/aws/pipeline/taskHandler.ts': 'port guards',
};
/** Reworked by its own issue (14) in parallel; held to this once that work lands. */
const notYetConverted = 'lambdas/twin/';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return /\.(ts|mts)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

function doubleCastsIn(file: string): string[] {
  const source = ts.createSourceFile(
    file,
    readFileSync(join(root, file), 'utf8'),
    ts.ScriptTarget.Latest,
    true,
  );
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (
      ts.isAsExpression(node) &&
      ts.isAsExpression(node.expression) &&
      node.expression.type.kind === ts.SyntaxKind.UnknownKeyword
    ) {
      found.push(`${file}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

it('has no `as unknown as` in product code but the listed ones', () => {
  const files = ['lambdas', 'lib', 'scripts']
    .flatMap((dir) => sourceFiles(join(root, dir)))
    .map((path) => relative(root, path))
    .filter((file) => !file.startsWith(notYetConverted));
  const casts = files.flatMap(doubleCastsIn);
  const unlisted = casts.filter((at) => !((at.split(':')[0] as string) in remaining));

  expect(casts.length).toBeGreaterThan(0); // the listed ones are found: the scan works
  expect(unlisted).toEqual([]);
});
