import {
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { sfnTaskTokens } from '../../../lambdas/adapters/aws/evidence/sfnTaskTokens.ts';
import { ManualClock } from '../../../lambdas/core/evidence/clock.ts';
import { handleAlarmStateChange, handleWindowEnd } from '../../../lambdas/core/evidence/events.ts';
import type { AlarmEvidence, Verdict, WindowEvidence } from '../../../lambdas/core/evidence/evidence.ts';
import { MemoryWindowStore } from '../../../lambdas/core/evidence/memoryWindowStore.ts';
import { decideWindow, openWindow, type WindowPorts } from '../../../lambdas/core/evidence/window.ts';

const sfn = mockClient(SFNClient);
afterEach(() => sfn.reset());

const T0 = Date.parse('2025-01-01T10:00:00Z');
const window = {
  service: 'orders',
  environment: 'qa',
  execution: 'run-1',
  version: 12,
  token: 'token-1',
  startedAt: new Date(T0).toISOString(),
  endsAt: new Date(T0 + 600_000).toISOString(),
  minBotSamples: 5,
  graceSeconds: 0,
};

function errorRate(
  transitions: AlarmEvidence['transitions'],
  stateAtStart: AlarmEvidence['stateAtStart'] = 'OK',
): AlarmEvidence {
  return {
    name: 'vouch.orders.qa.errorRate',
    signal: 'errorRate',
    comparison: 'GreaterThanThreshold',
    threshold: 5,
    unit: '%',
    periodSeconds: 60,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
    stateAtStart,
    transitions,
    datapoints: [],
  };
}

const breach = {
  at: T0 + 180_000,
  from: 'OK' as const,
  to: 'ALARM' as const,
  reason: '2 of 3 datapoints breaching',
  datapoints: [
    { periodStart: T0 + 60_000, value: 0, samples: 6 },
    { periodStart: T0 + 120_000, value: 50, samples: 6 },
    { periodStart: T0 + 180_000, value: 100, samples: 1 },
  ],
};

describe('decideWindow', () => {
  it('fails on an alarm in the window with which alarm, observed values vs threshold and datapoints', () => {
    const verdict = decideWindow({
      window,
      evidence: { alarms: [errorRate([breach])], botSamples: 3 },
      at: T0 + 180_000,
      trigger: 'alarm',
      final: false,
    });
    expect(verdict).toMatchObject({
      outcome: 'FAILED',
      alarm: 'vouch.orders.qa.errorRate',
      signal: 'errorRate',
      threshold: 5,
      observed: [50, 100],
      botSamples: 3,
      windowStart: window.startedAt,
      windowEnd: window.endsAt,
      version: 12,
    });
    expect(verdict?.reason).toMatch(/observed 50 %, 100 % > 5 %/);
  });

  it('passes at the window end with enough bot samples and no alarm', () => {
    const verdict = decideWindow({
      window,
      evidence: { alarms: [errorRate([])], botSamples: 40 },
      at: T0 + 600_000,
      trigger: 'windowEnd',
      final: true,
    });
    expect(verdict?.outcome).toBe('PASSED');
  });

  it('never passes without evidence: fewer bot samples than the minimum fails', () => {
    const verdict = decideWindow({
      window,
      evidence: { alarms: [errorRate([])], botSamples: 4 },
      at: T0 + 600_000,
      trigger: 'windowEnd',
      final: true,
    });
    expect(verdict?.outcome).toBe('FAILED');
    expect(verdict?.reason).toMatch(/^no evidence: 4 bot samples/);
  });

  it('ignores a breach inside the grace period, but not one after it', () => {
    const graced = { ...window, graceSeconds: 240 };
    const evidence: WindowEvidence = {
      alarms: [errorRate([breach, { ...breach, at: T0 + 200_000, from: 'ALARM', to: 'OK' }])],
      botSamples: 50,
    };
    expect(
      decideWindow({ window: graced, evidence, at: T0 + 600_000, trigger: 'windowEnd', final: true })
        ?.outcome,
    ).toBe('PASSED');
    expect(
      decideWindow({ window, evidence, at: T0 + 600_000, trigger: 'windowEnd', final: true })?.outcome,
    ).toBe('FAILED');
  });

  it('has no verdict yet before the end when no alarm breaches', () => {
    expect(
      decideWindow({
        window,
        evidence: { alarms: [errorRate([])], botSamples: 0 },
        at: T0 + 1000,
        trigger: 'alarm',
        final: false,
      }),
    ).toBeUndefined();
  });
});

function ports(
  evidence: WindowEvidence,
  verdicts: Verdict[] = [],
): WindowPorts & { windows: MemoryWindowStore } {
  return {
    windows: new MemoryWindowStore(),
    evidence: { readEvidence: async () => evidence },
    tokens: sfnTaskTokens(new SFNClient({ region: 'eu-west-1' })),
    clock: new ManualClock(T0 + 180_000),
    onVerdict: (v) => void verdicts.push(v),
  };
}

const alarmEvent = (alarmName: string, state = 'ALARM') => ({
  version: '0',
  source: 'aws.cloudwatch',
  'detail-type': 'CloudWatch Alarm State Change',
  time: '2025-01-01T10:03:00Z',
  detail: { alarmName, state: { value: state, reason: 'Threshold Crossed' }, previousState: { value: 'OK' } },
});

describe('resuming on AWS (SendTaskSuccess / SendTaskFailure)', () => {
  it('an alarm event fails the open window at once: SendTaskSuccess with the FAILED verdict as output', async () => {
    // Prepare
    sfn.on(SendTaskSuccessCommand).resolves({});
    const verdicts: Verdict[] = [];
    const p = ports({ alarms: [errorRate([breach])], botSamples: 3 }, verdicts);
    await p.windows.openWindow(window);
    // Act
    const outcome = await handleAlarmStateChange(alarmEvent('vouch.orders.qa.errorRate'), p);
    // Assess
    expect(outcome?.delivery).toBe('delivered');
    expect(sfn).toReceiveCommandTimes(SendTaskSuccessCommand, 1);
    const output = JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input.output ?? '{}');
    expect(output.verdict).toMatchObject({
      outcome: 'FAILED',
      alarm: 'vouch.orders.qa.errorRate',
      trigger: 'alarm',
    });
    expect(verdicts).toHaveLength(1);
    expect(await p.windows.findOpenWindow('orders', 'qa')).toBeUndefined();
  });

  it('with verdict delivery "failure" sends SendTaskFailure, error VerificationFailed, cause the verdict', async () => {
    sfn.on(SendTaskFailureCommand).resolves({});
    const p = { ...ports({ alarms: [errorRate([breach])], botSamples: 3 }), delivery: 'failure' as const };
    await p.windows.openWindow(window);
    await handleAlarmStateChange(alarmEvent('vouch.orders.qa.errorRate'), p);
    expect(sfn).toReceiveCommandWith(SendTaskFailureCommand, {
      taskToken: 'token-1',
      error: 'VerificationFailed',
    });
    const cause = JSON.parse(sfn.commandCalls(SendTaskFailureCommand)[0]?.args[0].input.cause ?? '{}');
    expect(cause.outcome).toBe('FAILED');
  });

  it('the window end sends SendTaskSuccess with the PASSED verdict', async () => {
    sfn.on(SendTaskSuccessCommand).resolves({});
    const p = ports({ alarms: [errorRate([])], botSamples: 30 });
    await p.windows.openWindow(window);
    const outcome = await handleWindowEnd({ service: 'orders', environment: 'qa', token: 'token-1' }, p);
    expect(outcome?.verdict.outcome).toBe('PASSED');
    expect(sfn).toReceiveCommandWith(SendTaskSuccessCommand, { taskToken: 'token-1' });
  });

  it('a token already used or timed out is reported as such, not thrown', async () => {
    sfn
      .on(SendTaskSuccessCommand)
      .rejectsOnce(new TaskTimedOut({ message: 'timed out', $metadata: {} }))
      .rejectsOnce(new InvalidToken({ message: 'invalid', $metadata: {} }));
    const tokens = sfnTaskTokens(new SFNClient({ region: 'eu-west-1' }));
    expect(await tokens.succeed('t', {})).toBe('alreadyUsed');
    expect(await tokens.succeed('t', {})).toBe('alreadyUsed');
    const p = ports({ alarms: [errorRate([])], botSamples: 30 });
    await p.windows.openWindow(window);
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'timed out', $metadata: {} }));
    const outcome = await handleWindowEnd({ service: 'orders', environment: 'qa' }, p);
    expect(outcome?.delivery).toBe('alreadyUsed');
  });

  it('other SDK errors propagate (the Lambda retries)', async () => {
    sfn.on(SendTaskSuccessCommand).rejects(new Error('throttled'));
    await expect(sfnTaskTokens(new SFNClient({ region: 'eu-west-1' })).succeed('t', {})).rejects.toThrow(
      'throttled',
    );
  });

  it('an alarm event for a service with no open window is ignored: no SFN call', async () => {
    const p = ports({ alarms: [errorRate([breach])], botSamples: 3 });
    expect(await handleAlarmStateChange(alarmEvent('vouch.payments.qa.errorRate'), p)).toBeUndefined();
    expect(await handleAlarmStateChange(alarmEvent('someone-elses-alarm'), p)).toBeUndefined();
    expect(sfn).not.toHaveReceivedAnyCommand();
  });

  it('of two resumers exactly one sends the token', async () => {
    sfn.on(SendTaskSuccessCommand).resolves({});
    const p = ports({ alarms: [errorRate([breach])], botSamples: 30 });
    await p.windows.openWindow(window);
    const [a, b] = await Promise.all([
      handleAlarmStateChange(alarmEvent('vouch.orders.qa.errorRate'), p),
      handleWindowEnd({ service: 'orders', environment: 'qa', token: 'token-1' }, p),
    ]);
    expect([a, b].filter((o) => o !== undefined)).toHaveLength(1);
    expect(sfn).toReceiveCommandTimes(SendTaskSuccessCommand, 1);
  });

  it('openWindow records token, end and evidence settings and arranges the end', async () => {
    const windows = new MemoryWindowStore();
    const scheduled: string[] = [];
    const opened = await openWindow(
      {
        service: 'orders',
        environment: 'qa',
        execution: 'e',
        version: 3,
        token: 'tk',
        verification: { windowSeconds: 300, minBotSamples: 9, graceSeconds: 30 },
      },
      {
        windows,
        clock: new ManualClock(T0),
        scheduler: { scheduleWindowEnd: async (w) => void scheduled.push(w.endsAt) },
      },
    );
    expect(opened).toMatchObject({
      token: 'tk',
      endsAt: '2025-01-01T10:05:00.000Z',
      minBotSamples: 9,
      graceSeconds: 30,
    });
    expect(await windows.findOpenWindow('orders', 'qa')).toEqual(opened);
    expect(scheduled).toEqual(['2025-01-01T10:05:00.000Z']);
  });
});
