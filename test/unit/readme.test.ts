import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { README, renderReadme } from '../../scripts/docs.ts';

describe('README', () => {
  it('shows the real example .vouch.yml, canary section and `vouch show` of every flavour (run `npm run docs`)', () => {
    const readme = readFileSync(README, 'utf8');
    expect(readme).toBe(renderReadme(readme));
  });

  it('names the two commands and the test command CI runs', () => {
    const readme = readFileSync(README, 'utf8');
    expect(readme).toMatch(/npm start/);
    expect(readme).toMatch(/npm test/);
    expect(readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8')).toMatch(/^npm test$/m);
  });
});

describe('README Layout', () => {
  const root = new URL('../../', import.meta.url).pathname;
  const readme = readFileSync(README, 'utf8');
  const layout = readme.slice(readme.indexOf('## Layout')).split('```')[1] ?? '';
  const folders = (dir: string) =>
    readdirSync(join(root, dir), { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name);

  it('names every folder of the project, of lib/, lambdas/, lambdas/adapters/ and scripts/', () => {
    const tracked = folders('.').filter(
      (name) => !['node_modules', 'cdk.out', 'test-artifacts'].includes(name),
    );
    const named = [
      ...tracked,
      ...['lib', 'lambdas', 'lambdas/adapters', 'scripts'].flatMap((dir) => folders(dir)),
    ];
    expect(named.filter((name) => !layout.includes(`${name}/`))).toEqual([]);
    expect(folders('lambdas/core').filter((name) => !new RegExp(`\\b${name}\\b`).test(layout))).toEqual([]);
  });

  it('names only folders and files that exist', () => {
    const paths = [
      ...layout.matchAll(/(?<![\w.])([a-z][\w-]*(?:\/[\w-]+)*\/|[\w/.-]+\.ts)(?=[\s),:])/gi),
    ].map((m) => m[1] as string);
    expect(paths.length).toBeGreaterThan(10);
    const everywhere = (path: string): boolean =>
      ['.', 'lib', 'lambdas', 'lambdas/adapters', 'lambdas/core', 'scripts'].some((base) =>
        existsSync(join(root, base, path)),
      );
    expect(paths.filter((path) => !everywhere(path))).toEqual([]);
  });
});
