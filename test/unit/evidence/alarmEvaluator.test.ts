import { describe, expect, it } from 'vitest';
import {
  type AlarmState,
  type AlarmThresholds,
  computeStatistic,
  type Datapoint,
  evaluateAlarm,
  minSamplesForPercentile,
  percentile,
} from '../../../lambdas/core/evidence/alarmEvaluator.ts';
import type { TreatMissingData } from '../../../lambdas/core/evidence/spec.ts';

/** `X` breaching, `0` not breaching, `-` missing, oldest first (the notation of the CloudWatch docs). */
function points(pattern: string): Datapoint[] {
  return pattern.split(' ').map((c, i) => {
    const periodStart = i * 60_000;
    if (c === '-') return { periodStart, samples: 0 };
    return { periodStart, value: c === 'X' ? 10 : 1, samples: 1 };
  });
}

function alarm(treatMissingData: TreatMissingData, m = 3, n = 3): AlarmThresholds {
  return {
    comparison: 'GreaterThanThreshold',
    threshold: 5,
    periodSeconds: 60,
    evaluationPeriods: n,
    datapointsToAlarm: m,
    treatMissingData,
  };
}

describe('evaluateAlarm: missing data (CloudWatch table, 3 of 3)', () => {
  // "How alarm state is evaluated when data is missing": columns MISSING, IGNORE, BREACHING, NOT BREACHING.
  // `keep` = "retain current state".
  const table: Array<[string, AlarmState, AlarmState | 'keep', AlarmState, AlarmState]> = [
    ['0 0 0', 'OK', 'OK', 'OK', 'OK'],
    ['0 0 X', 'OK', 'OK', 'OK', 'OK'],
    ['0 X X', 'OK', 'OK', 'OK', 'OK'],
    ['X X X', 'ALARM', 'ALARM', 'ALARM', 'ALARM'],
    ['0 0 -', 'OK', 'OK', 'OK', 'OK'],
    ['0 X -', 'OK', 'OK', 'OK', 'OK'],
    ['X X -', 'ALARM', 'keep', 'ALARM', 'OK'],
    ['0 - -', 'OK', 'OK', 'OK', 'OK'],
    ['X - -', 'ALARM', 'keep', 'ALARM', 'OK'],
    ['- - -', 'INSUFFICIENT_DATA', 'keep', 'ALARM', 'OK'],
  ];
  for (const [pattern, missing, ignore, breaching, notBreaching] of table) {
    for (const current of ['OK', 'ALARM'] as const) {
      it(`${pattern} from ${current}`, () => {
        // Prepare
        const data = points(pattern);
        // Act
        const results = (['missing', 'ignore', 'breaching', 'notBreaching'] as const).map(
          (mode) => evaluateAlarm(alarm(mode), data, current).state,
        );
        // Assess
        expect(results).toEqual([missing, ignore === 'keep' ? current : ignore, breaching, notBreaching]);
      });
    }
  }
});

describe('evaluateAlarm: M of N (datapoints to alarm)', () => {
  const cases: Array<[string, number, number, AlarmState]> = [
    ['X 0 X 0 0', 2, 5, 'ALARM'],
    ['X 0 0 0 0', 2, 5, 'OK'],
    ['0 X 0 X X', 3, 5, 'ALARM'],
    ['X X 0 0 0', 3, 5, 'OK'],
    ['0 0 0 0 X', 1, 5, 'ALARM'],
    ['X X X X 0', 5, 5, 'OK'],
  ];
  for (const [pattern, m, n, expected] of cases) {
    it(`${m} of ${n}: ${pattern} -> ${expected}`, () => {
      expect(evaluateAlarm(alarm('missing', m, n), points(pattern), 'OK').state).toBe(expected);
    });
  }

  it('refuses datapointsToAlarm above evaluationPeriods, as PutMetricAlarm does', () => {
    expect(() => evaluateAlarm(alarm('missing', 4, 3), points('X X X'), 'OK')).toThrow(/datapointsToAlarm/);
  });

  it('compares with each operator', () => {
    const floor = { ...alarm('notBreaching', 1, 1), comparison: 'LessThanThreshold' as const, threshold: 5 };
    expect(evaluateAlarm(floor, [{ periodStart: 0, value: 4, samples: 4 }], 'OK').state).toBe('ALARM');
    expect(evaluateAlarm(floor, [{ periodStart: 0, value: 5, samples: 5 }], 'OK').state).toBe('OK');
    const atLeast = { ...alarm('notBreaching', 1, 1), comparison: 'GreaterThanOrEqualToThreshold' as const };
    expect(evaluateAlarm(atLeast, [{ periodStart: 0, value: 5, samples: 1 }], 'OK').state).toBe('ALARM');
  });
});

describe('statistics over a period', () => {
  it('computes Sum, Average, SampleCount, Minimum, Maximum', () => {
    const v = [3, 1, 2, 10];
    expect(computeStatistic(v, 'Sum')).toBe(16);
    expect(computeStatistic(v, 'Average')).toBe(4);
    expect(computeStatistic(v, 'SampleCount')).toBe(4);
    expect(computeStatistic(v, 'Minimum')).toBe(1);
    expect(computeStatistic(v, 'Maximum')).toBe(10);
  });

  it('has no value (a missing datapoint) for a period without samples', () => {
    expect(computeStatistic([], 'p99')).toBeUndefined();
    expect(computeStatistic([], 'SampleCount')).toBeUndefined();
  });

  it('computes percentiles over the raw samples, also when they are sparse', () => {
    expect(percentile([10, 20, 30], 99)).toBe(30);
    expect(percentile([40, 10, 30, 20], 50)).toBe(20);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([7], 1)).toBe(7);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 90)).toBe(90);
    expect(computeStatistic([5, 500, 6], 'p50')).toBe(6);
  });

  it('needs 10/(1-p) samples for p >= 50 and 10/p below before a percentile is significant', () => {
    expect(minSamplesForPercentile(99)).toBe(1000);
    expect(minSamplesForPercentile(90)).toBe(100);
    expect(minSamplesForPercentile(50)).toBe(20);
    expect(minSamplesForPercentile(10)).toBe(100);
  });

  it('keeps the state on a low-sample percentile period with evaluateLowSampleCountPercentile ignore', () => {
    // Prepare: one slow request is p99 of a period of three samples.
    const t = { ...alarm('missing', 1, 1), statistic: 'p99' as const, threshold: 100 };
    const sparse: Datapoint[] = [{ periodStart: 0, value: 900, samples: 3 }];
    // Act / Assess
    expect(evaluateAlarm(t, sparse, 'OK').state).toBe('ALARM');
    expect(evaluateAlarm({ ...t, evaluateLowSampleCountPercentile: 'ignore' }, sparse, 'OK').state).toBe(
      'OK',
    );
  });
});
