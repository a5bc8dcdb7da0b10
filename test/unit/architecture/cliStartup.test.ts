/**
 * `vouch --help` and the start of every command load only the command table and its help texts: the
 * static imports of scripts/vouch.ts, followed through (type-only imports left out, as the
 * TypeScript transform erases them), reach no npm package and no module that runs a command. A
 * command's module is loaded by a dynamic import when that command runs. Loading them all at start
 * (the AWS SDK clients, dynalite, zod, the ASL validator) took each `vouch` process 1.5 s of CPU
 * before it did anything. Likewise the commands whose local path needs no AWS SDK client load it
 * only for --aws.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');

/** The specifiers a file imports or re-exports statically, at run time. */
function staticImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  return source.statements.flatMap((statement) => {
    if (ts.isImportDeclaration(statement) && !statement.importClause?.isTypeOnly)
      return [(statement.moduleSpecifier as ts.StringLiteral).text];
    if (ts.isExportDeclaration(statement) && statement.moduleSpecifier && !statement.isTypeOnly)
      return [(statement.moduleSpecifier as ts.StringLiteral).text];
    return [];
  });
}

/** Every file and package reached from `entry` through static imports. */
function staticClosure(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const specifier of staticImports(file)) {
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(file), specifier);
        expect(existsSync(target), `${relative(root, file)} imports ${specifier}`).toBe(true);
        visit(target);
      } else if (!specifier.startsWith('node:')) packages.add(specifier);
    }
  };
  visit(entry);
  return { files: [...files].map((f) => relative(root, f)).sort(), packages: [...packages].sort() };
}

describe('the vouch command line starts light', () => {
  it('scripts/vouch.ts loads its help texts statically and no command module, no package', () => {
    const { files, packages } = staticClosure(resolve(root, 'scripts/vouch.ts'));
    expect(packages).toEqual([]);
    expect(files).toEqual([
      'lambdas/adapters/local/polyfills.ts',
      'lambdas/core/spec/names.ts',
      'scripts/cli/commandHelp.ts',
      'scripts/vouch.ts',
    ]);
  });

  it.each(['scripts/cli/control.ts', 'scripts/cli/cost.ts'])(
    '%s loads the AWS SDK only for --aws (its local path calls the platform or reads a file)',
    (module) => {
      const { packages } = staticClosure(resolve(root, module));
      expect(packages.filter((name) => name.startsWith('@aws-sdk/'))).toEqual([]);
    },
  );
});
