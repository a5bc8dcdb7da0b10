/**
 * No import cycles in product code (lambdas/, lib/, scripts/), between files nor between folders. A
 * cycle means two modules cannot be understood, tested or moved apart; type-only imports count too,
 * since they bind the modules' shapes to each other just the same. The graph is built with the
 * TypeScript compiler's own pre-processor (static imports, re-exports and literal dynamic imports),
 * relative specifiers only. Between folders, a folder and its own subfolders are one module (twin and
 * twin/fakes may use each other); any two other folders may not import each other, even indirectly.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { findImportCycles, type ImportGraph } from './importGraph.ts';

const root = resolve(import.meta.dirname, '../../..');
const productRoots = ['lambdas', 'lib', 'scripts'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return /\.(ts|mts)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

function productImportGraph(): ImportGraph {
  const files = productRoots.flatMap((dir) => sourceFiles(join(root, dir)));
  const known = new Set(files);
  const graph: ImportGraph = new Map();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = info.importedFiles
      .map((ref) => ref.fileName)
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => resolveSpecifier(dirname(file), specifier, known))
      .filter((target): target is string => target !== undefined);
    graph.set(relative(root, file), [...new Set(targets.map((t) => relative(root, t)))]);
  }
  return graph;
}

function resolveSpecifier(fromDir: string, specifier: string, known: Set<string>): string | undefined {
  const base = resolve(fromDir, specifier);
  const candidates = [base, base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((candidate) => known.has(candidate));
}

/** Folder -> folders its files import, leaving out a folder's own ancestors and descendants. */
function folderGraph(files: ImportGraph): ImportGraph {
  const folders = new Map<string, Set<string>>();
  const within = (a: string, b: string) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
  for (const [file, targets] of files) {
    const from = dirname(file);
    const edges = folders.get(from) ?? new Set<string>();
    folders.set(from, edges);
    for (const target of targets) if (!within(from, dirname(target))) edges.add(dirname(target));
  }
  return new Map([...folders].map(([folder, edges]) => [folder, [...edges]]));
}

describe('import graph of lambdas/, lib/ and scripts/', () => {
  it('resolves the imports it reads (the graph is not empty, so the check below can fail)', () => {
    const graph = productImportGraph();
    const edges = [...graph.values()].reduce((sum, targets) => sum + targets.length, 0);
    expect(graph.size).toBeGreaterThan(100);
    expect(edges).toBeGreaterThan(graph.size);
  });

  it('has no cycles between files', () => {
    const cycles = findImportCycles(productImportGraph()).map((cycle) => cycle.join(' -> '));
    expect(cycles).toEqual([]);
  });

  it('has no cycles between folders', () => {
    const cycles = findImportCycles(folderGraph(productImportGraph())).map((cycle) => cycle.join(' -> '));
    expect(cycles).toEqual([]);
  });
});

describe('findImportCycles', () => {
  it('names each cycle once, from its first module back to it', () => {
    const graph: ImportGraph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts', 'd.ts']],
      ['d.ts', []],
      ['e.ts', ['e.ts']],
    ]);
    expect(findImportCycles(graph)).toEqual([
      ['a.ts', 'b.ts', 'c.ts', 'a.ts'],
      ['e.ts', 'e.ts'],
    ]);
  });

  it('finds none in a graph without one', () => {
    const graph: ImportGraph = new Map([
      ['a.ts', ['b.ts', 'c.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', []],
    ]);
    expect(findImportCycles(graph)).toEqual([]);
  });
});
