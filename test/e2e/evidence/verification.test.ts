// A verification window end to end on one machine: a real HTTP service on loopback, bots on the local
// scheduler, the local metric store's alarms, the local task tokens, all on one scaled clock so a
// six-minute window of 60-second periods takes about three seconds.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localMetricSink } from '../../../lambdas/adapters/local/metrics/localMetricSink.ts';
import { LocalMetricStore } from '../../../lambdas/adapters/local/metrics/metricStore.ts';
import { LocalScheduler } from '../../../lambdas/adapters/local/scheduler.ts';
import { alarmDefinitions } from '../../../lambdas/core/evidence/alarms.ts';
import { ScaledClock } from '../../../lambdas/core/evidence/clock.ts';
import type { Verdict } from '../../../lambdas/core/evidence/evidence.ts';
import { LocalTaskTokens } from '../../../lambdas/core/evidence/localTaskTokens.ts';
import { MemoryWindowStore } from '../../../lambdas/core/evidence/memoryWindowStore.ts';
import { AlarmsSpecSchema, BotScenarioSchema } from '../../../lambdas/core/evidence/spec.ts';
import { resumeAtWindowEnd, resumeOnAlarm, type WindowPorts } from '../../../lambdas/core/evidence/window.ts';
import type { RunState } from '../../../lambdas/core/pipeline/contract.ts';
import { createLocalVerifyTask } from '../../../lambdas/core/pipeline/evidenceTasks.ts';

const WINDOW_SECONDS = 360;
/** Clock seconds per wall second. */
const TIME_SCALE = 120;

/** A service whose /orders answers 200 until `failFrom` (clock ms), then 500. */
function orderService(clock: ScaledClock) {
  const state = { failFrom: Number.POSITIVE_INFINITY };
  const server = createServer((_req, res) => {
    const failing = clock.now() >= state.failFrom;
    res.writeHead(failing ? 500 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(failing ? { error: 'boom' } : { orders: [] }));
  });
  return { server, state };
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

const clock = new ScaledClock(TIME_SCALE);
const store = new LocalMetricStore({ clock });
const tokens = new LocalTaskTokens();
const windows = new MemoryWindowStore();
const verdicts: Verdict[] = [];
const scheduler = new LocalScheduler({
  clock,
  fetch: (url, init) => fetch(url, init),
  sink: localMetricSink(store),
});
const ports: WindowPorts = {
  windows,
  evidence: store,
  tokens,
  clock,
  onVerdict: (v) => void verdicts.push(v),
};
const verify = createLocalVerifyTask({
  windows,
  clock,
  tokens,
  scheduler: scheduler.windowEnds((w) => resumeAtWindowEnd(w, ports)),
});
const services = { healthy: orderService(clock), broken: orderService(clock) };
const scenario = BotScenarioSchema.parse({
  name: 'browse',
  steps: [{ path: '/orders' }],
  rate: { default: 30 },
});

function run(service: string): RunState {
  return {
    service,
    team: 't',
    solution: 's',
    repo: 'r',
    commit: 'c0ffee',
    branch: 'main',
    execution: `exec-${service}`,
    pipe: 'p',
    config: { releaseEnvironments: [] },
    out: {},
  };
}

function verifyTask(service: string) {
  return verify({
    task: {
      name: 'verify-qa',
      type: 'verify',
      params: {
        environment: 'qa',
        version: 4,
        verification: { windowSeconds: WINDOW_SECONDS, minBotSamples: 20 },
      },
    },
    run: run(service),
  });
}

beforeAll(async () => {
  const alarms = AlarmsSpecSchema.parse({
    errorRate: { thresholdPercent: 10, evaluationPeriods: 3, datapointsToAlarm: 2 },
  });
  for (const service of ['healthy', 'broken', 'silent'])
    store.defineAlarms(alarmDefinitions(alarms, service, 'qa'));
  store.onAlarmStateChange((change) =>
    resumeOnAlarm(
      {
        service: change.service,
        environment: change.environment,
        alarmName: change.alarmName,
        state: change.state,
      },
      ports,
    ).then(() => undefined),
  );
  for (const [name, svc] of Object.entries(services)) {
    const baseUrl = await listen(svc.server);
    scheduler.addBot({ service: name, environment: 'qa', scenario, baseUrl, version: () => '4' });
  }
  store.start();
  scheduler.start();
});

afterAll(async () => {
  await scheduler.stop();
  store.stop();
  await store.settled();
  for (const svc of Object.values(services)) await new Promise((r) => svc.server.close(r));
});

describe('verification window on one machine', () => {
  it('fails a service that starts failing mid-window by the alarm event, before the window ends; passes a healthy one at the end; fails one without bot traffic for no evidence', async () => {
    // Prepare: the broken service starts failing a third into its window.
    services.broken.state.failFrom = clock.now() + (WINDOW_SECONDS / 3) * 1000;

    // Act: three verify tasks wait on their tokens like the local engine's Task states.
    const [healthy, broken, silent] = (await Promise.all([
      verifyTask('healthy'),
      verifyTask('broken'),
      verifyTask('silent'),
    ])) as unknown as Array<{
      verdict: Verdict;
    }>;

    // Assess
    expect(broken?.verdict).toMatchObject({
      outcome: 'FAILED',
      trigger: 'alarm',
      signal: 'errorRate',
      alarm: 'vouch.broken.qa.errorRate',
    });
    expect(Date.parse(broken?.verdict.decidedAt ?? '')).toBeLessThan(
      Date.parse(broken?.verdict.windowEnd ?? ''),
    );
    expect(Date.parse(broken?.verdict.decidedAt ?? '')).toBeGreaterThanOrEqual(
      services.broken.state.failFrom,
    );
    expect(broken?.verdict.observed?.every((v) => v > 10)).toBe(true);

    expect(healthy?.verdict).toMatchObject({ outcome: 'PASSED', trigger: 'windowEnd' });
    expect(healthy?.verdict.botSamples).toBeGreaterThanOrEqual(20);

    expect(silent?.verdict).toMatchObject({ outcome: 'FAILED', trigger: 'windowEnd', botSamples: 0 });
    expect(silent?.verdict.reason).toMatch(/^no evidence/);

    expect(verdicts.map((v) => v.service).sort()).toEqual(['broken', 'healthy', 'silent']);
    expect(await windows.findOpenWindow('healthy', 'qa')).toBeUndefined();
    expect(tokens.waiting).toBe(0);
  });
});
