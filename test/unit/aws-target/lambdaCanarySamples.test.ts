import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  aliasOfEnvironment,
  lambdaCanarySamples,
} from '../../../lambdas/adapters/aws/lambdaTarget/lambdaCanarySamples.ts';
import { judgeCanaryStep } from '../../../lambdas/core/canary/judge.ts';
import { parseCanarySpec } from '../../../lambdas/core/canary/spec.ts';
import { NoCanaryError } from '../../../lambdas/core/target/errors.ts';
import type { EnvironmentDescription } from '../../../lambdas/core/target/port.ts';

const cw = mockClient(CloudWatchClient);
const FROM = Date.parse('2026-12-02T10:00:00Z');
const TO = Date.parse('2026-12-02T10:05:00Z');
const t = (minute: number) => new Date(FROM + minute * 60_000);

const slot = (image: string, version: string) => ({
  image,
  version,
  url: 'https://x.lambda-url.twin/',
  since: '',
});
const described = (canary = true): EnvironmentDescription => ({
  environment: {
    id: 'orders.qa',
    service: 'orders',
    name: 'qa',
    ephemeral: false,
    tags: { service: 'orders', team: 'checkout', solution: 'shop' },
    proxyUrl: 'https://x.lambda-url.twin/',
    createdAt: '',
  },
  baseline: slot('orders-fn:4', '7'),
  ...(canary ? { canary: slot('orders-fn:5', '8') } : {}),
  weight: 20,
  proxyUrl: 'https://x.lambda-url.twin/',
});

afterAll(() => cw.restore());
beforeEach(() => cw.reset());

describe('lambdaCanarySamples', () => {
  it('names each slot by the version the alias executed, in the dimension set Lambda publishes for weighted aliases', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const samples = lambdaCanarySamples(new CloudWatchClient({}), { describe: async () => described() });

    const series = await samples.samples('orders.qa', FROM, TO, 10);

    const queries = cw.commandCalls(GetMetricDataCommand)[0]?.args[0].input.MetricDataQueries ?? [];
    const canaryDuration = queries.find((q) => q.Id === 'latencyp50_canary')?.MetricStat;
    expect(canaryDuration).toEqual({
      Metric: {
        Namespace: 'AWS/Lambda',
        MetricName: 'Duration',
        Dimensions: [
          { Name: 'FunctionName', Value: 'orders-fn' },
          { Name: 'Resource', Value: 'orders-fn:qa' },
          { Name: 'ExecutedVersion', Value: '5' },
        ],
      },
      Period: 60, // standard resolution: a 10 s period is widened to the minute
      Stat: 'p50',
    });
    expect(queries.find((q) => q.Id === 'requests_baseline')?.MetricStat?.Metric?.MetricName).toBe(
      'Invocations',
    );
    expect(series.source?.namespace).toBe('AWS/Lambda');
  });

  it('feeds the judge: Duration is milliseconds already, and a version 60 % slower fails latencyP50', async () => {
    const minutes = [0, 1, 2, 3, 4];
    const jitter = [1, 1.04, 0.97, 1.02, 0.99];
    const series = (id: string, values: number[]) => ({ Id: id, Timestamps: minutes.map(t), Values: values });
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        ...(['p50', 'p90', 'p99'] as const).flatMap((p, i) => [
          series(
            `latency${p}_baseline`,
            jitter.map((j) => 40 * (i + 1) * j),
          ),
          series(
            `latency${p}_canary`,
            jitter.map((j) => 64 * (i + 1) * (2 - j)),
          ),
        ]),
        series('requests_baseline', [1200, 1180, 1210, 1195, 1205]),
        series('requests_canary', [300, 296, 302, 299, 301]),
        series('errors_canary', [1, 0, 0, 2, 0]),
      ],
    });
    const samples = lambdaCanarySamples(new CloudWatchClient({}), { describe: async () => described() });

    const result = await samples.samples('orders.qa', FROM, TO, 60);

    expect(result.canary[0]).toEqual({
      start: t(0).toISOString(),
      requests: 300,
      errors: 1,
      latencyMs: { p50: 64, p90: 128, p99: 192 },
    });
    const verdict = judgeCanaryStep({ ...result, config: parseCanarySpec({}) });
    expect(verdict.outcome).toBe('FAIL');
    expect(verdict.decisive).toBe('latencyP50');
  });

  it('refuses to judge an environment without a canary, and names test aliases per run', async () => {
    const samples = lambdaCanarySamples(new CloudWatchClient({}), { describe: async () => described(false) });
    await expect(samples.samples('orders.qa', FROM, TO, 60)).rejects.toBeInstanceOf(NoCanaryError);
    expect(cw.commandCalls(GetMetricDataCommand)).toHaveLength(0);
    expect(aliasOfEnvironment('orders.test.run-7')).toBe('test-run-7');
    expect(aliasOfEnvironment('orders.prod')).toBe('prod');
  });
});
