// Evidence bench: (1) over injected faults, time from the first failing bot request to the FAILED
// verdict, in alarm periods (virtual time, so the figure does not depend on this machine);
// (2) Step Functions state transitions one verification window costs, counted from a compiled-shape
// fragment run in aws-local-stepfunctions, for several window lengths.
import { StateMachine } from 'aws-local-stepfunctions';
import { localMetricSink } from '../../lambdas/adapters/local/metrics/localMetricSink.ts';
import { LocalMetricStore } from '../../lambdas/adapters/local/metrics/metricStore.ts';
import { LocalScheduler } from '../../lambdas/adapters/local/scheduler.ts';
import { alarmDefinitions } from '../../lambdas/core/evidence/alarms.ts';
import type { FetchLike } from '../../lambdas/core/evidence/botRunner.ts';
import { ManualClock } from '../../lambdas/core/evidence/clock.ts';
import { TaskFailure } from '../../lambdas/core/evidence/errors.ts';
import type { Verdict } from '../../lambdas/core/evidence/evidence.ts';
import { LocalTaskTokens } from '../../lambdas/core/evidence/localTaskTokens.ts';
import { MemoryWindowStore } from '../../lambdas/core/evidence/memoryWindowStore.ts';
import { METRIC } from '../../lambdas/core/evidence/metrics.ts';
import { AlarmsSpecSchema, BotScenarioSchema } from '../../lambdas/core/evidence/spec.ts';
import { openWindow, resumeOnAlarm, type WindowPorts } from '../../lambdas/core/evidence/window.ts';
import { verifyTimeoutSeconds } from '../../lambdas/core/pipeline/evidenceTasks.ts';
import { seededRandom as prng } from '../../lambdas/core/shared/random.ts';

const FAULTS = 24;
const PERIOD_S = 60;

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Detection {
  readonly periods: number;
  readonly verdict?: Verdict;
}

/** One injected fault: healthy bots, then every request fails from `faultAfterS` into the window. */
async function injectFault(
  faultAfterS: number,
  botsPerMinute: number,
  m: number,
  n: number,
): Promise<Detection> {
  const clock = new ManualClock(Date.parse('2025-01-01T00:00:00Z') + Math.floor(faultAfterS * 7) * 1000);
  const store = new LocalMetricStore({ clock });
  const spec = AlarmsSpecSchema.parse({
    errorRate: { thresholdPercent: 5, periodSeconds: PERIOD_S, evaluationPeriods: n, datapointsToAlarm: m },
  });
  store.defineAlarms(alarmDefinitions(spec, 'svc', 'qa'));
  const windows = new MemoryWindowStore();
  const tokens = new LocalTaskTokens();
  // The verdict as the window delivers it (the same one the waiting verify task receives).
  let verdict: Verdict | undefined;
  const ports: WindowPorts = {
    windows,
    evidence: store,
    tokens,
    clock,
    onVerdict: (decided) => {
      verdict = decided;
    },
  };
  store.onAlarmStateChange((c) =>
    resumeOnAlarm(
      { service: c.service, environment: c.environment, alarmName: c.alarmName, state: c.state },
      ports,
    ).then(() => undefined),
  );
  let firstFailure: number | undefined;
  const sink = localMetricSink(store);
  const scheduler = new LocalScheduler({
    clock,
    stopwatch: () => 0,
    fetch: (async () => {
      const failing = clock.now() >= faultAt;
      return { status: failing ? 503 : 200, headers: { get: () => null }, text: async () => '{}' };
    }) as FetchLike,
    sink: {
      put: async (samples) => {
        if (firstFailure === undefined && samples.some((s) => s.name === METRIC.failures && s.value === 1)) {
          firstFailure = samples[0]?.timestamp;
        }
        await sink.put(samples);
      },
    },
  });
  const windowSeconds = 3600;
  const faultAt = clock.now() + faultAfterS * 1000;
  scheduler.addBot({
    service: 'svc',
    environment: 'qa',
    scenario: BotScenarioSchema.parse({
      name: 'probe',
      steps: [{ path: '/' }],
      rate: { default: botsPerMinute },
    }),
    baseUrl: 'http://svc.invalid',
    version: () => '1',
  });
  const opened = await openWindow(
    {
      service: 'svc',
      environment: 'qa',
      execution: 'e',
      version: 1,
      token: 'tk',
      verification: { windowSeconds, minBotSamples: 5, graceSeconds: 0 },
    },
    { windows, clock },
  );
  // The verify task waits on its token, as in a run; the window resumes it.
  void tokens.wait(opened.token);
  store.start();
  scheduler.start();
  const end = Date.parse(opened.endsAt);
  while (verdict === undefined && clock.now() < end) {
    clock.advance(1000);
    await flush();
  }
  await scheduler.stop();
  store.stop();
  if (verdict === undefined || firstFailure === undefined) return { periods: Number.POSITIVE_INFINITY };
  return { periods: (Date.parse(verdict.decidedAt) - firstFailure) / (PERIOD_S * 1000), verdict };
}

function quantile(sorted: readonly number[], q: number): number {
  // Nearest rank, like the alarm percentiles.
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

async function detection(): Promise<void> {
  const random = prng(20250101);
  const configs = [
    { m: 2, n: 3, bots: 6 },
    { m: 1, n: 1, bots: 6 },
    { m: 3, n: 5, bots: 2 },
  ];
  console.log(
    `detection: ${FAULTS} injected faults per config, fault start uniform in [3, 20) min into a 60 min window`,
  );
  console.log(
    'config                      | median periods | p95 periods | max  | target (M + 1) | all FAILED by alarm',
  );
  for (const { m, n, bots } of configs) {
    const results: Detection[] = [];
    for (let i = 0; i < FAULTS; i++) results.push(await injectFault(180 + random() * 1020, bots, m, n));
    const periods = results.map((r) => r.periods).sort((a, b) => a - b);
    const allByAlarm = results.every((r) => r.verdict?.outcome === 'FAILED' && r.verdict.trigger === 'alarm');
    const p95 = quantile(periods, 0.95);
    console.log(
      `${`M=${m} of N=${n}, ${bots} bot req/min`.padEnd(27)} | ${quantile(periods, 0.5).toFixed(2).padStart(14)} | ${p95
        .toFixed(2)
        .padStart(
          11,
        )} | ${(periods.at(-1) ?? Number.NaN).toFixed(2)} | ${String(m + 1).padStart(14)} | ${allByAlarm}${p95 <= m + 1 ? '' : '  (p95 over target)'}`,
    );
  }
}

/**
 * The verify fragment the pipe compiler emits: the window's timeout state, then waitForTaskToken with
 * that timeout (the compiled state reads it with TimeoutSecondsPath) caught into decide.
 */
function verifyFragment(windowSeconds: number) {
  return {
    StartAt: 'VerifyTimeout',
    States: {
      VerifyTimeout: {
        Type: 'Task',
        Resource: 'arn:aws:lambda:us-east-1:123456789012:function:verify',
        ResultPath: '$.out.timeout',
        Next: 'Verify',
      },
      Verify: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: 'verify', Payload: { 'token.$': '$$.Task.Token' } },
        TimeoutSeconds: verifyTimeoutSeconds(windowSeconds),
        ResultPath: '$.out.verify',
        Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'Decide' }],
        Next: 'Verdict',
      },
      Decide: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: 'decide' },
        ResultPath: '$.out.verify',
        Next: 'Verdict',
      },
      Verdict: {
        Type: 'Choice',
        Choices: [{ Variable: '$.out.verify.verdict.outcome', StringEquals: 'PASSED', Next: 'Promote' }],
        Default: 'Rollback',
      },
      Promote: { Type: 'Succeed' },
      Rollback: { Type: 'Succeed' },
    },
  };
}

async function countTransitions(
  windowSeconds: number,
  path: 'alarm' | 'windowEnd' | 'timeout',
): Promise<number> {
  const machine = new StateMachine(verifyFragment(windowSeconds) as never);
  const verdict = (outcome: string) => ({ verdict: { outcome } });
  // The local engine has no task tokens of its own: the context object is mocked with one.
  const execution = machine.run(
    { out: {} },
    {
      context: { Task: { Token: 'local-token' } },
      overrides: {
        taskResourceLocalHandlers: {
          VerifyTimeout: async () => ({ timeoutSeconds: verifyTimeoutSeconds(windowSeconds) }),
          Verify: async () => {
            // The resumers settle the token (alarm: FAILED, window end: PASSED) or the Task times out.
            if (path === 'timeout') throw new TaskFailure('States.Timeout', 'window ended without a resume');
            return verdict(path === 'alarm' ? 'FAILED' : 'PASSED');
          },
          Decide: async () => verdict('PASSED'),
        },
      },
    },
  );
  let entered = 0;
  for await (const event of execution.eventLogs) {
    if (process.env.VOUCH_BENCH_DEBUG) console.log(JSON.stringify(event).slice(0, 400));
    if (event.type === 'StateEntered') entered++;
  }
  await execution.result.catch(() => undefined);
  return entered;
}

async function transitions(): Promise<void> {
  console.log('\nstate transitions per verification window (StateEntered events, aws-local-stepfunctions):');
  console.log(
    'window    | alarm fails it | window end | task timeout -> decide | polling every 60 s (Wait+Check+Choice)',
  );
  for (const windowSeconds of [300, 3600, 86_400]) {
    const [alarm, end, timeout] = [
      await countTransitions(windowSeconds, 'alarm'),
      await countTransitions(windowSeconds, 'windowEnd'),
      await countTransitions(windowSeconds, 'timeout'),
    ];
    const polling = 3 * Math.ceil(windowSeconds / 60) + 2;
    console.log(
      `${`${windowSeconds} s`.padEnd(9)} | ${String(alarm).padStart(14)} | ${String(end).padStart(10)} | ${String(timeout).padStart(22)} | ${polling}`,
    );
  }
}

export async function run(): Promise<void> {
  if (!process.env.VOUCH_BENCH_DEBUG) await detection();
  await transitions();
}
