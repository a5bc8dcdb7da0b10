/**
 * How every Vouch Lambda is bundled: one definition shared by `VouchFunction` (through NodejsFunction)
 * and the bundle benchmark (scripts/bench/bundles.ts, through esbuild directly), so the figures
 * measured are those of the deployed code.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: handler entries are resolved against it. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `lambdas/handlers/<file>.ts`, absolute. */
export function handlerEntry(file: string): string {
  return join(PROJECT_ROOT, 'lambdas', 'handlers', `${file}.ts`);
}

/** `lambdas/handlers/tasks/<type>.ts`, absolute. */
export function taskEntry(type: string): string {
  return handlerEntry(join('tasks', type));
}

// ESM output keeps tree-shaking effective (`module` fields first); the banner gives bundled CommonJS
// dependencies the `require` an ES module lacks.
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __vouchCreateRequire } from 'node:module'; const require = __vouchCreateRequire(import.meta.url);";

export const BUNDLE_OPTIONS = {
  /** nodejs22.x runtime. */
  target: 'node22',
  minify: true,
  sourceMap: true,
  /** Source maps without the sources: stack traces map to files and lines, bundles stay small. */
  sourcesContent: false,
  format: 'esm',
  mainFields: ['module', 'main'],
  /**
   * The AWS SDK v3 is bundled (nothing external): pinned to the lockfile's version and tree-shaken to
   * the modular clients a handler imports, instead of whatever the runtime ships.
   */
  externalModules: [] as string[],
  banner: ESM_REQUIRE_BANNER,
} as const;
