import { SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { sfnTaskTokens } from '../../../lambdas/adapters/aws/evidence/sfnTaskTokens.ts';
import { ManualClock } from '../../../lambdas/core/evidence/clock.ts';
import type { AlarmEvidence } from '../../../lambdas/core/evidence/evidence.ts';
import { MemoryWindowStore } from '../../../lambdas/core/evidence/memoryWindowStore.ts';
import { decideWindow, resumeOnAlarm } from '../../../lambdas/core/evidence/window.ts';

/**
 * A hotfix must be deployable while the running version's own alarm fires: its canary windows are
 * not decided by the environment's alarms (the judge compares the fix with the baseline), but too
 * little evidence still fails them.
 */
const sfn = mockClient(SFNClient);
afterEach(() => sfn.reset());

const T0 = Date.parse('2026-01-01T10:00:00Z');
const window = {
  service: 'orders',
  environment: 'prod',
  execution: 'hotfix-run',
  version: 7,
  token: 'token-hotfix',
  startedAt: new Date(T0).toISOString(),
  endsAt: new Date(T0 + 300_000).toISOString(),
  minBotSamples: 5,
  graceSeconds: 0,
};
const firing: AlarmEvidence = {
  name: 'vouch.orders.prod.errorRate',
  signal: 'errorRate',
  comparison: 'GreaterThanThreshold',
  threshold: 5,
  unit: '%',
  periodSeconds: 60,
  evaluationPeriods: 3,
  datapointsToAlarm: 2,
  stateAtStart: 'ALARM',
  transitions: [
    { at: T0 + 60_000, from: 'OK', to: 'ALARM', reason: 'the running version fails', datapoints: [] },
  ],
  datapoints: [{ periodStart: T0, value: 40, samples: 50 }],
};

describe('hotfix canary windows', () => {
  it('a normal window fails on the firing alarm', () => {
    const verdict = decideWindow({
      window,
      evidence: { alarms: [firing], botSamples: 50 },
      at: T0 + 300_000,
      trigger: 'windowEnd',
      final: true,
    });
    expect(verdict?.outcome).toBe('FAILED');
  });

  it('a hotfix window is not failed by it, and passes on enough evidence', () => {
    const verdict = decideWindow({
      window: { ...window, ignoreAlarms: true },
      evidence: { alarms: [firing], botSamples: 50 },
      at: T0 + 300_000,
      trigger: 'windowEnd',
      final: true,
    });
    expect(verdict?.outcome).toBe('PASSED');
  });

  it('a hotfix window still fails without evidence', () => {
    const verdict = decideWindow({
      window: { ...window, ignoreAlarms: true },
      evidence: { alarms: [firing], botSamples: 2 },
      at: T0 + 300_000,
      trigger: 'windowEnd',
      final: true,
    });
    expect(verdict?.outcome).toBe('FAILED');
    expect(verdict?.reason).toMatch(/^no evidence/);
  });

  it('an alarm event does not resume a hotfix window: no task token is sent', async () => {
    const windows = new MemoryWindowStore();
    await windows.openWindow({ ...window, ignoreAlarms: true });
    const outcome = await resumeOnAlarm(
      { service: 'orders', environment: 'prod', alarmName: firing.name, state: 'ALARM' },
      {
        windows,
        evidence: { readEvidence: async () => ({ alarms: [firing], botSamples: 50 }) },
        tokens: sfnTaskTokens(new SFNClient({ region: 'eu-west-1' })),
        clock: new ManualClock(T0 + 120_000),
      },
    );
    expect(outcome).toBeUndefined();
    expect(sfn).not.toHaveReceivedAnyCommand();
    expect(await windows.findOpenWindow('orders', 'prod')).toBeDefined();
  });
});
