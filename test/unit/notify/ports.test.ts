// Error classification, the outbox, the AWS chart and delivery-store adapters, the SNS path.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient, GetMetricWidgetImageCommand } from '@aws-sdk/client-cloudwatch';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ErrorCode } from '@slack/web-api';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createCloudWatchChartPort,
  metricWidgetFor,
} from '../../../lambdas/adapters/aws/notify/cloudWatchChart.ts';
import { DynamoDeliveryStore } from '../../../lambdas/adapters/aws/notify/dynamoDeliveryStore.ts';
import { createLambdaFailureDeadLetters } from '../../../lambdas/adapters/aws/notify/lambdaDeadLetter.ts';
import { deliverSnsNotifications } from '../../../lambdas/adapters/aws/notify/snsNotifications.ts';
import { createLocalChartPort } from '../../../lambdas/adapters/local/chart/index.ts';
import { createLocalOutbox, readOutbox } from '../../../lambdas/adapters/local/outbox.ts';
import { ChartRenderError } from '../../../lambdas/adapters/slack/errors.ts';
import type { DeliveryResult, NotificationSink } from '../../../lambdas/adapters/slack/ports.ts';
import { classifySlackError } from '../../../lambdas/adapters/slack/retry.ts';
import { judgeCanaryStep } from '../../../lambdas/core/canary/judge.ts';
import { parseCanarySpec } from '../../../lambdas/core/canary/spec.ts';
import { NotificationDeadLetteredError } from '../../../lambdas/core/notify/errors.ts';
import { chartFromCanaryVerdict } from '../../../lambdas/core/notify/fromCanaryVerdict.ts';
import type { Notification } from '../../../lambdas/core/notify/notification.ts';
import { rolledBackNotification } from '../../integration/notify/fixtures.ts';

const cloudWatch = mockClient(CloudWatchClient);
const dynamo = mockClient(DynamoDBDocumentClient);

afterEach(() => {
  cloudWatch.reset();
  dynamo.reset();
});

describe('classifySlackError', () => {
  it.each([
    [
      { code: ErrorCode.RateLimitedError, retryAfter: 12 },
      { kind: 'rate-limited', retryAfterMs: 12_000 },
    ],
    [{ code: ErrorCode.HTTPError, statusCode: 503 }, { kind: 'transient' }],
    [{ code: ErrorCode.HTTPError, statusCode: 404 }, { kind: 'permanent' }],
    [{ code: ErrorCode.RequestError }, { kind: 'transient' }],
    [{ code: ErrorCode.PlatformError, data: { error: 'internal_error' } }, { kind: 'transient' }],
    [{ code: ErrorCode.PlatformError, data: { error: 'invalid_auth' } }, { kind: 'permanent' }],
  ])('%j -> %j', (error, expected) => {
    expect(classifySlackError(Object.assign(new Error('x'), error))).toMatchObject(expected);
  });
});

describe('local outbox', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vouch-outbox-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('appends the message as JSON with its chart, prints it, and never writes an id twice', async () => {
    // Prepare
    const printed: string[] = [];
    const outbox = createLocalOutbox({
      dir,
      chart: createLocalChartPort(join(dir, 'charts')),
      print: (t) => printed.push(t),
    });
    // Act
    const first = await outbox.deliver(rolledBackNotification());
    const second = await outbox.deliver(rolledBackNotification());
    const restarted = await createLocalOutbox({ dir, print: () => {} }).deliver(rolledBackNotification());
    // Assess
    expect([first.status, second.status, restarted.status]).toEqual(['outbox', 'duplicate', 'duplicate']);
    const entries = await readOutbox(outbox.file);
    expect(entries).toHaveLength(1);
    expect(entries[0]?.message.channel).toBe('#payments');
    expect(entries[0]?.chartPath).toMatch(/\.png$/);
    expect(await readdir(join(dir, 'charts'))).toHaveLength(1);
    expect(printed).toHaveLength(1);
    expect(printed[0]).toContain('latencyP99');
    expect(printed[0]).toContain('Chart: ');
  });
});

describe('CloudWatch chart', () => {
  const withMetric = (): Notification => {
    const n = rolledBackNotification();
    if (!n.chart) throw new Error('fixture has a chart');
    return {
      ...n,
      chart: {
        ...n.chart,
        cloudwatch: { metrics: [['Vouch', 'Latency', 'Service', 'orders', { stat: 'p99' }]], period: 60 },
      },
    };
  };

  it('asks for the metric around the window, with the window shaded and the threshold line', async () => {
    // Prepare
    cloudWatch.on(GetMetricWidgetImageCommand).resolves({ MetricWidgetImage: new Uint8Array([1, 2, 3]) });
    // Act
    const image = await createCloudWatchChartPort(new CloudWatchClient({})).render(withMetric());
    // Assess
    expect(image?.png).toEqual(new Uint8Array([1, 2, 3]));
    expect(cloudWatch).toReceiveCommandWith(GetMetricWidgetImageCommand, { OutputFormat: 'png' });
    const widget = metricWidgetFor(withMetric()) as Record<string, unknown>;
    expect(widget.start).toBe('2026-11-21T12:05:00.000Z');
    expect(widget.end).toBe('2026-11-21T12:20:00.000Z');
    expect(widget.title).toBe('orders p99 latency in prod at 5 % canary: FAIL (latencyP99)');
    expect(widget.legend).toEqual({ position: 'bottom' });
    expect(widget.yAxis).toEqual({
      left: { label: 'p99 latency per 60 s period (ms)', showUnits: false, min: 0 },
    });
    expect(widget.annotations).toEqual({
      horizontal: [{ label: 'allowed (264.1 ms)', value: 264.1, color: '#e67800' }],
      vertical: [
        [
          { label: 'verification window', value: '2026-11-21T12:10:00.000Z', color: '#ffe0a0' },
          { value: '2026-11-21T12:15:00.000Z' },
        ],
      ],
    });
  });

  it("charts a judged step from the slots' own ALB metrics: one labelled line per slot, in ms", () => {
    // Prepare: a verdict on series read from CloudWatch (their source names each slot's target group).
    const minute = (m: number, p50: number) => ({
      start: new Date(Date.UTC(2026, 10, 21, 12, m)).toISOString(),
      requests: 600,
      errors: 0,
      latencyMs: { p50, p90: p50 * 2, p99: p50 * 3 },
    });
    const dims = (tg: string) => [
      { Name: 'TargetGroup', Value: `targetgroup/${tg}/1` },
      { Name: 'LoadBalancer', Value: 'app/shared/2' },
    ];
    const verdict = judgeCanaryStep({
      baseline: [0, 1, 2, 3, 4].map((m) => minute(m, 50 + m)),
      canary: [0, 1, 2, 3, 4].map((m) => minute(m, 100 + 2 * m)),
      source: {
        namespace: 'AWS/ApplicationELB',
        periodSeconds: 60,
        dimensions: { baseline: dims('a'), canary: dims('b') },
      },
      config: parseCanarySpec({}),
    });
    // Act
    const chart = chartFromCanaryVerdict(verdict, {
      service: 'orders',
      environment: 'prod',
      step: 5,
      versions: { baseline: 'v2', canary: 'v3' },
    });
    const widget = metricWidgetFor({ ...rolledBackNotification(), chart } as Notification) as {
      metrics: unknown[][];
    };
    // Assess: raw seconds hidden, one visible ms line per slot with its version in the legend.
    expect(widget.metrics).toEqual([
      [
        'AWS/ApplicationELB',
        'TargetResponseTime',
        'TargetGroup',
        'targetgroup/a/1',
        'LoadBalancer',
        'app/shared/2',
        { id: 'baseline_s', stat: 'p50', visible: false },
      ],
      [{ expression: 'baseline_s * 1000', id: 'baseline_ms', label: 'baseline v2 p50 (ms)' }],
      [
        'AWS/ApplicationELB',
        'TargetResponseTime',
        'TargetGroup',
        'targetgroup/b/1',
        'LoadBalancer',
        'app/shared/2',
        { id: 'canary_s', stat: 'p50', visible: false },
      ],
      [{ expression: 'canary_s * 1000', id: 'canary_ms', label: 'canary v3 p50 (ms)' }],
    ]);
    expect(chart?.axisLabel).toBe('p50 latency per 60 s period (ms)');
  });

  it('draws nothing without a CloudWatch metric, and wraps SDK errors', async () => {
    const port = createCloudWatchChartPort(new CloudWatchClient({}));
    expect(await port.render(rolledBackNotification())).toBeUndefined();
    cloudWatch.on(GetMetricWidgetImageCommand).rejects(new Error('throttled'));
    await expect(port.render(withMetric())).rejects.toThrow(ChartRenderError);
  });
});

describe('DynamoDeliveryStore', () => {
  it('claims with a conditional write and reports a held claim as false', async () => {
    // Prepare
    const store = new DynamoDeliveryStore(
      DynamoDBDocumentClient.from(new DynamoDBClient({})),
      'vouch',
      () => 1_000_000,
    );
    dynamo
      .on(UpdateCommand)
      .resolvesOnce({})
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'held', $metadata: {} }));
    // Act
    const first = await store.claim('n1', 'a', 60_000);
    const second = await store.claim('n1', 'b', 60_000);
    // Assess
    expect([first, second]).toEqual([true, false]);
    expect(dynamo).toReceiveCommandWith(UpdateCommand, {
      TableName: 'vouch',
      Key: { pk: 'NOTIFY#n1', sk: 'NOTIFY' },
      ExpressionAttributeValues: expect.objectContaining({ ':owner': 'a', ':until': 1_060_000 }),
    });
  });
});

describe('SNS -> notifier', () => {
  const event = (n: Notification) => ({
    Records: [{ Sns: { MessageId: 'm1', Message: JSON.stringify(n) } }],
  });
  const sink = (status: DeliveryResult['status']): NotificationSink => ({
    deliver: async (n) => ({ id: n.id, status, channel: 'C1', attempts: 1, error: 'Slack down' }),
  });

  it('delivers each record', async () => {
    const results = await deliverSnsNotifications(event(rolledBackNotification()), sink('sent'));
    expect(results.map((r) => r.status)).toEqual(['sent']);
  });

  it('throws when a notification was dead-lettered, so the Lambda DLQ keeps the event', async () => {
    await expect(
      deliverSnsNotifications(event(rolledBackNotification()), sink('dead-lettered')),
    ).rejects.toThrow(NotificationDeadLetteredError);
  });

  it('the AWS dead-letter port throws rather than drops', async () => {
    const logged: unknown[] = [];
    const port = createLambdaFailureDeadLetters((e) => logged.push(e));
    await expect(
      port.deadLetter({
        notification: rolledBackNotification(),
        error: { name: 'E', message: 'm' },
        attempts: 5,
        at: '2026-11-21T12:00:00Z',
      }),
    ).rejects.toThrow(NotificationDeadLetteredError);
    expect(logged).toHaveLength(1);
  });
});
