import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canarySpecOf } from '../../../lambdas/core/pipeline/taskInputs.ts';
import { parseRunSpec } from '../../../lambdas/core/webhook/runSpec.ts';
import { STORY_DEFAULTS, withLaterStepsAtMost } from '../../../lambdas/twin/story.ts';

describe('the story’s first release: canary steps after the first cut short (withLaterStepsAtMost)', () => {
  it('keeps every step, its traffic and the first step’s window; no later window longer than given or than the spec’s', () => {
    // Prepare: the story's spec (20 % and 50 % at 240 s, 100 % at 60 s)
    const { config } = parseRunSpec(readFileSync(STORY_DEFAULTS.specFile, 'utf8'));

    // Act
    const cut = withLaterStepsAtMost(config, STORY_DEFAULTS.firstReleaseStepSeconds);

    // Assess
    expect(canarySpecOf({ config }).steps).toEqual([
      { traffic: 20, windowSeconds: 240 },
      { traffic: 50, windowSeconds: 240 },
      { traffic: 100, windowSeconds: 60 },
    ]);
    expect(canarySpecOf({ config: cut }).steps).toEqual([
      { traffic: 20, windowSeconds: 240 },
      { traffic: 50, windowSeconds: 60 },
      { traffic: 100, windowSeconds: 60 },
    ]);
    expect(canarySpecOf({ config: withLaterStepsAtMost(config, 300) }).steps).toEqual(
      canarySpecOf({ config }).steps,
    );
    expect({ ...cut, canary: config.canary }).toEqual(config);
  });
});
