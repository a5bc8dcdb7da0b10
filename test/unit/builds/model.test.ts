import { describe, expect, it } from 'vitest';
import {
  InvalidBuildInputError,
  InvalidCommitError,
  MissingCommitError,
  ReportTooLargeError,
} from '../../../lambdas/core/builds/errors.ts';
import {
  checkSize,
  parseTaskEvent,
  parseVersionRequest,
  promotionLabel,
} from '../../../lambdas/core/builds/model.ts';

describe('build data model', () => {
  it('refuses version requests without a full commit SHA, naming the problem', () => {
    // Prepare
    const base = { service: 'shop', execution: 'run-1' };

    // Act, Assess
    expect(() => parseVersionRequest(base)).toThrow(MissingCommitError);
    expect(() => parseVersionRequest({ ...base, commit: 'abc1234' })).toThrow(InvalidCommitError);
    expect(() => parseVersionRequest({ ...base, commit: 'A'.repeat(40) })).toThrow(InvalidCommitError);
    expect(() => parseVersionRequest({ ...base, service: 'a#b', commit: 'a'.repeat(40) })).toThrow(
      InvalidBuildInputError,
    );
    expect(parseVersionRequest({ ...base, commit: 'f'.repeat(64) }).commit).toHaveLength(64);
  });

  it('requires an outcome on a done event', () => {
    // Prepare
    const event = {
      execution: 'run-1',
      service: 'shop',
      version: 1,
      task: 'unit',
      type: 'test',
      phase: 'done' as const,
      at: '2030-01-01T00:00:00.000Z',
    };

    // Act, Assess
    expect(() => parseTaskEvent(event)).toThrow(/needs an outcome/);
    expect(parseTaskEvent({ ...event, outcome: 'SUCCEEDED' }).outcome).toBe('SUCCEEDED');
  });

  it('labels promotions the way history shows them', () => {
    expect(promotionLabel('PROMOTED', 'qa')).toBe('PROMOTED:qa');
    expect(promotionLabel('ROLLED_BACK', 'prod')).toBe('ROLLED_BACK:prod');
    expect(promotionLabel('PASSED_TEST', 'test')).toBe('PASSED_TEST');
  });

  it('measures reports in UTF-8 bytes', () => {
    // Prepare: 400 two-byte characters are 800 bytes (+ quotes), over 700 though only 400 long.
    const report = 'é'.repeat(400);

    // Act, Assess
    expect(() => checkSize('report', report, 700)).toThrow(ReportTooLargeError);
    expect(() => checkSize('report', report, 900)).not.toThrow();
  });
});
