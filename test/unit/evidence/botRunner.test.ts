import { describe, expect, it } from 'vitest';
import { type FetchLike, runScenario } from '../../../lambdas/core/evidence/botRunner.ts';
import { ManualClock } from '../../../lambdas/core/evidence/clock.ts';
import { handleBotRun } from '../../../lambdas/core/evidence/events.ts';
import type { MetricSample } from '../../../lambdas/core/evidence/metrics.ts';
import { BotScenarioSchema, BotsSpecSchema } from '../../../lambdas/core/evidence/spec.ts';

const target = {
  baseUrl: 'http://svc.local/',
  dimensions: { service: 'orders', environment: 'test', scenario: 'checkout', version: '3' },
};

function reply(status: number, body: unknown, headers: Record<string, string> = {}) {
  return {
    status,
    headers: { get: (n: string) => headers[n] ?? null },
    text: async () => JSON.stringify(body),
  };
}

const scenario = BotScenarioSchema.parse({
  name: 'checkout',
  steps: [
    {
      method: 'POST',
      path: '/orders',
      body: { item: 'book' },
      expect: { status: 201, body: { status: 'new' } },
      save: { orderId: 'body.id' },
    },
    { path: '/orders/{{orderId}}', expect: { body: { id: 'o-1' }, latencyMs: 50 } },
  ],
});

describe('runScenario', () => {
  it('carries saved values to later steps and emits one sample set per request', async () => {
    // Prepare
    const calls: Array<{ url: string; method: string; body?: string }> = [];
    const fetch: FetchLike = async (url, init) => {
      calls.push({ url, method: init.method, ...(init.body === undefined ? {} : { body: init.body }) });
      return init.method === 'POST' ? reply(201, { id: 'o-1', status: 'new' }) : reply(200, { id: 'o-1' });
    };
    const samples: MetricSample[] = [];
    let t = 0;
    // Act
    const result = await runScenario(scenario, target, {
      fetch,
      clock: new ManualClock(5000),
      stopwatch: () => (t += 10),
      sink: { put: async (s) => void samples.push(...s) },
    });
    // Assess
    expect(result.ok).toBe(true);
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'POST http://svc.local/orders',
      'GET http://svc.local/orders/o-1',
    ]);
    expect(calls[0]?.body).toBe('{"item":"book"}');
    expect(samples.filter((s) => s.name === 'requests')).toHaveLength(2);
    expect(samples.filter((s) => s.name === 'failures').map((s) => s.value)).toEqual([0, 0]);
    expect(samples[0]?.dimensions).toEqual(target.dimensions);
    expect(samples[0]?.timestamp).toBe(5000);
  });

  it('fails a step on status, body field or latency budget and stops the scenario there', async () => {
    // Prepare
    const fetch: FetchLike = async () => reply(500, { status: 'broken' });
    const samples: MetricSample[] = [];
    // Act
    const result = await runScenario(scenario, target, {
      fetch,
      clock: new ManualClock(),
      sink: { put: async (s) => void samples.push(...s) },
    });
    // Assess
    expect(result.ok).toBe(false);
    expect(result.steps).toHaveLength(1);
    expect(result.steps[0]?.problems.join('; ')).toMatch(/status 500.*body.status/);
    expect(samples.find((s) => s.name === 'failures')?.value).toBe(1);
  });

  it('counts a slow answer and a connection error as failures', async () => {
    // Prepare
    let t = 0;
    const slow = await runScenario(
      BotScenarioSchema.parse({ name: 'slow', steps: [{ path: '/', expect: { latencyMs: 50 } }] }),
      target,
      { fetch: async () => reply(200, {}), clock: new ManualClock(), stopwatch: () => (t += 80) },
    );
    const down = await runScenario(
      BotScenarioSchema.parse({ name: 'down', steps: [{ path: '/' }] }),
      target,
      {
        fetch: async () => {
          throw new Error('ECONNREFUSED');
        },
        clock: new ManualClock(),
      },
    );
    // Assess
    expect(slow.steps[0]?.problems[0]).toMatch(/latency 80 ms over budget 50 ms/);
    expect(down.steps[0]?.problems[0]).toMatch(/ECONNREFUSED/);
  });
});

describe('bots spec', () => {
  it('applies defaults and rejects unknown keys and unsaved templates', () => {
    const parsed = BotsSpecSchema.parse({ scenarios: [{ name: 'ping', steps: [{ path: '/health' }] }] });
    expect(parsed.scenarios[0]).toEqual({
      name: 'ping',
      steps: [
        { method: 'GET', path: '/health', headers: {}, expect: { body: {}, latencyMs: 1000 }, save: {} },
      ],
      rate: { default: 1 },
    });
    expect(
      BotsSpecSchema.safeParse({ scenarios: [{ name: 'x', steps: [{ path: '/', expct: {} }] }] }).success,
    ).toBe(false);
    expect(
      BotsSpecSchema.safeParse({ scenarios: [{ name: 'x', steps: [{ path: '/{{id}}' }] }] }).success,
    ).toBe(false);
  });
});

describe('handleBotRun', () => {
  it('starts run i at i * spread / runs from the first: slow requests do not stretch the invocation', async () => {
    // Prepare: every request takes 300 ms of the clock; 4 runs over 2 s are due at 0, 500, 1000, 1500.
    const clock = new ManualClock(0);
    const startedAt: number[] = [];
    const fetch: FetchLike = async () => {
      startedAt.push(clock.now());
      clock.advance(300);
      return reply(200, {});
    };
    const sleep = async (ms: number) => clock.advance(ms);

    // Act
    await handleBotRun(
      {
        service: 'orders',
        environment: 'qa',
        baseUrl: 'http://svc.local/',
        scenario: { name: 'browse', steps: [{ path: '/orders' }] },
        runs: 4,
        spreadSeconds: 2,
      },
      { fetch, clock, sink: { put: async () => undefined }, sleep },
    );

    // Assess: on schedule (a fixed 500 ms pause after each run would start them at 0, 800, 1600, 2400).
    expect(startedAt).toEqual([0, 500, 1000, 1500]);
  });
});
