import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { README, renderReadme } from '../../scripts/docs.ts';

describe('README', () => {
  it('shows the real example .vouch.yml and the real `vouch show` of every flavour (run `npm run docs`)', () => {
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
