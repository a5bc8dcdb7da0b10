import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  scheduleName,
  windowEndSchedules,
} from '../../../lambdas/adapters/aws/evidence/windowEndSchedule.ts';
import { windowPortsFromEnv } from '../../../lambdas/adapters/aws/evidence/windowPortsFromEnv.ts';
import { LocalPlatform } from '../../../lambdas/adapters/local/platform/LocalPlatform.ts';
import { ManualClock } from '../../../lambdas/core/evidence/clock.ts';
import type { AlarmEvidence, WindowEvidence } from '../../../lambdas/core/evidence/evidence.ts';
import { MemoryWindowStore } from '../../../lambdas/core/evidence/memoryWindowStore.ts';
import { VerificationSpecSchema } from '../../../lambdas/core/evidence/spec.ts';
import {
  openWindow,
  resumeAtWindowEnd,
  resumeOnAlarm,
  type TaskTokenPort,
  type WindowPorts,
} from '../../../lambdas/core/evidence/window.ts';
import { VERDICT_DELIVERY } from '../../../lambdas/core/evidence/windowPorts.ts';
import type { JsonValue } from '../../../lambdas/core/pipeline/contract.ts';

const sfn = mockClient(SFNClient);
const scheduler = mockClient(SchedulerClient);
afterEach(() => {
  sfn.reset();
  scheduler.reset();
});

const T0 = Date.parse('2026-01-01T10:00:00Z');
const ENV = { VOUCH_BUILD_TABLE: 'builds', VOUCH_WINDOW_SCHEDULE_GROUP: 'vouch-windows' };
const verification = VerificationSpecSchema.parse({ windowSeconds: 600, minBotSamples: 5, graceSeconds: 0 });
const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });

/** The Lambdas' window ports, with the window store and evidence swapped for in-memory ones. */
function awsPorts(windows: MemoryWindowStore, evidence: WindowEvidence, clock: ManualClock): WindowPorts {
  const ports = windowPortsFromEnv(logger, ENV, {
    dynamo: new DynamoDBClient({ region: 'eu-west-1' }),
    cloudWatch: new CloudWatchClient({ region: 'eu-west-1' }),
    sfn: new SFNClient({ region: 'eu-west-1' }),
    scheduler: new SchedulerClient({ region: 'eu-west-1' }),
  });
  return { ...ports, windows, evidence: { readEvidence: async () => evidence }, clock };
}

/** The local platform's window ports: its own `windowPorts()` over in-memory parts. */
function localPorts(
  windows: MemoryWindowStore,
  evidence: WindowEvidence,
  clock: ManualClock,
  tokens: TaskTokenPort,
): WindowPorts {
  const fake = { windows, metrics: { readEvidence: async () => evidence }, tokens, clock };
  return LocalPlatform.prototype.windowPorts.call(fake as unknown as LocalPlatform);
}

function recordingTokens() {
  const calls: { kind: 'succeed' | 'fail'; token: string; detail: JsonValue | string }[] = [];
  const tokens: TaskTokenPort = {
    succeed: async (token, output) => {
      calls.push({ kind: 'succeed', token, detail: output });
      return 'delivered';
    },
    fail: async (token, error, cause) => {
      calls.push({ kind: 'fail', token, detail: `${error}: ${cause}` });
      return 'delivered';
    },
  };
  return { tokens, calls };
}

async function openAt(windows: MemoryWindowStore, clock: ManualClock, token: string, step?: number) {
  return openWindow(
    {
      service: 'orders',
      environment: 'qa',
      execution: 'run-1',
      version: 7,
      token,
      verification,
      ...(step === undefined ? {} : { step }),
    },
    { windows, clock },
  );
}

const NO_EVIDENCE: WindowEvidence = { alarms: [], botSamples: 0 };

describe('defect 1: one verdict delivery for the Lambdas and the local platform', () => {
  it('both build their ports with the shared factory: same delivery, a FAILED verdict fails the task', () => {
    const clock = new ManualClock(T0);
    const windows = new MemoryWindowStore();
    expect(awsPorts(windows, NO_EVIDENCE, clock).delivery).toBe(VERDICT_DELIVERY);
    expect(localPorts(windows, NO_EVIDENCE, clock, recordingTokens().tokens).delivery).toBe(VERDICT_DELIVERY);
    expect(VERDICT_DELIVERY).toBe('failure');
  });

  it('on AWS, a window without evidence ends with SendTaskFailure carrying the verdict, never SendTaskSuccess', async () => {
    // Prepare
    const clock = new ManualClock(T0);
    const windows = new MemoryWindowStore();
    const window = await openAt(windows, clock, 'token-aws');
    sfn.on(SendTaskFailureCommand).resolves({});
    // Act
    const outcome = await resumeAtWindowEnd(window, awsPorts(windows, NO_EVIDENCE, clock));
    // Assess
    expect(outcome?.verdict.outcome).toBe('FAILED');
    expect(sfn).toReceiveCommandTimes(SendTaskSuccessCommand, 0);
    expect(sfn).toReceiveCommandWith(SendTaskFailureCommand, {
      taskToken: 'token-aws',
      error: 'VerificationFailed',
    });
    const cause = JSON.parse(String(sfn.commandCalls(SendTaskFailureCommand)[0]?.args[0].input.cause));
    expect(cause).toMatchObject({ outcome: 'FAILED', service: 'orders', environment: 'qa', botSamples: 0 });
  });

  it('locally, the same window fails the waiting task the same way', async () => {
    const clock = new ManualClock(T0);
    const windows = new MemoryWindowStore();
    const window = await openAt(windows, clock, 'token-local');
    const { tokens, calls } = recordingTokens();

    await resumeAtWindowEnd(window, localPorts(windows, NO_EVIDENCE, clock, tokens));

    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ kind: 'fail', token: 'token-local' });
    expect(String(calls[0]?.detail)).toMatch(/^VerificationFailed: \{.*"outcome":"FAILED"/);
  });
});

function errorRateInAlarm(): AlarmEvidence {
  return {
    name: 'vouch.orders.qa.errorRate',
    signal: 'errorRate',
    comparison: 'GreaterThanThreshold',
    threshold: 5,
    unit: '%',
    periodSeconds: 60,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
    stateAtStart: 'OK',
    transitions: [
      {
        at: T0 + 120_000,
        from: 'OK',
        to: 'ALARM',
        reason: '2 of 3 datapoints breaching',
        datapoints: [{ periodStart: T0 + 60_000, value: 50, samples: 6 }],
      },
    ],
    datapoints: [],
  };
}

describe('defect 8: window-end schedules are one per window and an early close deletes its own', () => {
  it('every canary step, extension and pause of one run gets a schedule of its own name', async () => {
    // Prepare: three windows of one run in one environment (steps 20 and 50, an extension of 50).
    const clock = new ManualClock(T0);
    const windows = new MemoryWindowStore();
    const ends = windowEndSchedules(new SchedulerClient({ region: 'eu-west-1' }), {
      targetArn: 'arn:aws:lambda:eu-west-1:111122223333:function:window-end',
      roleArn: 'arn:aws:iam::111122223333:role/window-end',
      groupName: 'vouch-windows',
    });
    scheduler.on(CreateScheduleCommand).resolves({});
    // Act
    for (const [token, step] of [
      ['t-step-20', 20],
      ['t-step-50', 50],
      ['t-step-50-ext', 50],
    ] as const) {
      await ends.scheduleWindowEnd(await openAt(windows, clock, token, step));
    }
    // Assess
    const names = scheduler.commandCalls(CreateScheduleCommand).map((c) => c.args[0].input.Name);
    expect(new Set(names).size).toBe(3);
    for (const name of names) expect(name).toMatch(/^vw-orders-qa-[0-9a-f]{16}$/);
  });

  it('a retried verify (same token) finds its schedule instead of failing with ConflictException', async () => {
    const clock = new ManualClock(T0);
    const ends = windowEndSchedules(new SchedulerClient({ region: 'eu-west-1' }), {
      targetArn: 'arn:aws:lambda:eu-west-1:111122223333:function:window-end',
      roleArn: 'arn:aws:iam::111122223333:role/window-end',
    });
    scheduler
      .on(CreateScheduleCommand)
      .rejects(new ConflictException({ Message: 'exists', message: 'exists', $metadata: {} }));
    const window = await openAt(new MemoryWindowStore(), clock, 't-1');
    await expect(ends.scheduleWindowEnd(window)).resolves.toBeUndefined();
  });

  it('a window an alarm closes early deletes its pending end schedule; one closed by its end does not', async () => {
    // Prepare
    const clock = new ManualClock(T0);
    const windows = new MemoryWindowStore();
    const early = await openAt(windows, clock, 'token-early');
    sfn.on(SendTaskFailureCommand).resolves({});
    scheduler.on(DeleteScheduleCommand).resolves({});
    clock.advance(180_000);
    // Act
    await resumeOnAlarm(
      { service: 'orders', environment: 'qa', alarmName: 'vouch.orders.qa.errorRate', state: 'ALARM' },
      awsPorts(windows, { alarms: [errorRateInAlarm()], botSamples: 30 }, clock),
    );
    // Assess
    expect(scheduler).toReceiveCommandWith(DeleteScheduleCommand, {
      Name: scheduleName(early),
      GroupName: 'vouch-windows',
    });

    // Act: the next window ends on its own schedule (which deletes itself after it ran).
    scheduler.reset();
    const later = await openAt(windows, clock, 'token-later');
    await resumeAtWindowEnd(later, awsPorts(windows, { alarms: [], botSamples: 30 }, clock));
    expect(scheduler).toReceiveCommandTimes(DeleteScheduleCommand, 0);
  });
});
