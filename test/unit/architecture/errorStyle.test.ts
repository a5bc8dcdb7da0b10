/**
 * One error style in product code (lambdas/, lib/, scripts/), read from the TypeScript syntax tree:
 * every error class is declared in its domain's `errors.ts`; each `errors.ts` has one base class that
 * extends `Error` and every other class there extends a class of its domain; no plain `new Error(...)`
 * is thrown, so each failure has a name a caller (or a Step Functions Catch) can match. The twin
 * (lambdas/twin) is held to it too: its imitations of AWS errors extend its base TwinError and keep
 * AWS's codes as their `name`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');
const productRoots = ['lambdas', 'lib', 'scripts'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return /\.(ts|mts)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

interface ErrorClass {
  readonly file: string;
  readonly name: string;
  readonly base: string;
}

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
}

function classesIn(source: ts.SourceFile, file: string): ErrorClass[] {
  const found: ErrorClass[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isClassDeclaration(node) && node.name) {
      const heritage = node.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword);
      const base = heritage?.types[0]?.expression.getText(source);
      if (base) found.push({ file, name: node.name.text, base });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function plainErrorsIn(source: ts.SourceFile, file: string): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (
      (ts.isNewExpression(node) || ts.isCallExpression(node)) &&
      node.expression.getText(source) === 'Error'
    ) {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
      found.push(`${file}:${line + 1}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const files = productRoots.flatMap((dir) => sourceFiles(join(root, dir))).map((path) => relative(root, path));
const sources = new Map(files.map((file) => [file, parse(join(root, file))]));
const classes = files.flatMap((file) => classesIn(sources.get(file) as ts.SourceFile, file));
const errorNames = new Set(['Error']);
// A class is an error class when it extends Error or (transitively) another error class.
for (let grew = true; grew; ) {
  grew = false;
  for (const c of classes)
    if (errorNames.has(c.base) && !errorNames.has(c.name)) {
      errorNames.add(c.name);
      grew = true;
    }
}
const errorClasses = classes.filter((c) => errorNames.has(c.name));

describe('error style', () => {
  it('finds the error classes it checks (the scan itself works)', () => {
    expect(errorClasses.length).toBeGreaterThan(100);
    expect(errorClasses).toContainEqual({
      file: 'lambdas/core/builds/errors.ts',
      name: 'LockHeldError',
      base: 'BuildDataError',
    });
  });

  it('declares every error class in an errors.ts', () => {
    const outside = errorClasses
      .filter((c) => basename(c.file) !== 'errors.ts')
      .map((c) => `${c.file}: ${c.name}`);
    expect(outside).toEqual([]);
  });

  it('gives each errors.ts one base class over Error, which its other classes extend', () => {
    const problems: string[] = [];
    for (const file of new Set(errorClasses.map((c) => c.file))) {
      const own = errorClasses.filter((c) => c.file === file);
      const roots = own.filter((c) => c.base === 'Error');
      if (roots.length !== 1)
        problems.push(
          `${file}: ${roots.length} classes extend Error (${roots.map((r) => r.name).join(', ')})`,
        );
      const ownNames = new Set(own.map((c) => c.name));
      for (const c of own)
        if (c.base !== 'Error' && !ownNames.has(c.base))
          problems.push(`${file}: ${c.name} extends ${c.base}, not a class of its domain`);
    }
    expect(problems).toEqual([]);
  });

  it('throws no plain Error', () => {
    const plain = files.flatMap((file) => plainErrorsIn(sources.get(file) as ts.SourceFile, file));
    expect(plain).toEqual([]);
  });
});
