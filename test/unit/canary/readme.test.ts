import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseCanarySpec } from '../../../lambdas/core/canary/spec.ts';

describe('README canary snippet', () => {
  it('is a valid canary spec', () => {
    const doc = parse(readFileSync(new URL('../../../examples/canary.yml', import.meta.url), 'utf8')) as {
      canary: unknown;
    };
    const spec = parseCanarySpec(doc.canary);
    expect(spec.steps[2]).toEqual({ traffic: 10, windowSeconds: 900 });
    expect(spec.decay).toEqual(parseCanarySpec(undefined).decay);
  });
});
