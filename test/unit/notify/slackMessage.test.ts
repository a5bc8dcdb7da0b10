import { describe, expect, it } from 'vitest';
import { judgeCanaryStep } from '../../../lambdas/core/canary/judge.ts';
import { parseCanarySpec } from '../../../lambdas/core/canary/spec.ts';
import { NotificationInvalidError, NotificationRoutingError } from '../../../lambdas/core/notify/errors.ts';
import {
  canaryNotification,
  notificationVerdictFromCanary,
} from '../../../lambdas/core/notify/fromCanaryVerdict.ts';
import { channelFor, parseNotification } from '../../../lambdas/core/notify/notification.ts';
import {
  buildSlackMessage,
  renderSlackMessageText,
  SLACK_LIMITS,
  truncateText,
} from '../../../lambdas/core/notify/slackMessage.ts';
import { rolledBackNotification } from '../../integration/notify/fixtures.ts';

/** Ten one-minute periods of one slot: `requests` per period, `errors` of them failed, p50 in ms. */
const periods = (requests: number, errors: number, p50 = 50) =>
  Array.from({ length: 10 }, (_, m) => ({
    start: new Date(Date.UTC(2026, 10, 21, 12, m)).toISOString(),
    requests,
    errors,
    latencyMs: { p50, p90: p50 * 2, p99: p50 * 4 },
  }));

function sectionTexts(blocks: ReturnType<typeof buildSlackMessage>['blocks']): string[] {
  return blocks.flatMap((b) =>
    b.type === 'section' ? [b.text?.text ?? '', ...(b.fields ?? []).map((f) => f.text)] : [],
  );
}

describe('buildSlackMessage', () => {
  it('carries service, team, version, commit, environment, step, verdict, the failing signal and the window', () => {
    const message = buildSlackMessage(rolledBackNotification(), { channel: 'C1' });
    const text = JSON.stringify(message.blocks);
    expect(message.blocks[0]).toMatchObject({ type: 'header' });
    for (const part of [
      '*Service*\\norders',
      '*Team*\\npayments',
      '*Version*\\n3',
      '3f2a9c1d0b7e',
      '*Environment*\\nprod',
      '5 % traffic',
      '*Verdict*\\nFAIL',
    ]) {
      expect(text).toContain(part);
    }
    // The failing signal leads, with observed vs allowed
    expect(message.blocks[2]).toMatchObject({ type: 'section' });
    expect(sectionTexts([message.blocks[2] as (typeof message.blocks)[number]])[0]).toBe(
      ':x: *latencyP99*: observed 312.5 ms vs baseline 220.1 ms (+42.0 %, allowed +20.0 %, paired t-test of per-period log ratios, p=1.20e-9, detectable +12.0 %, 5 periods of 60 s, 1000 canary / 4000 baseline requests)',
    );
    expect(text).toContain('2026-11-21T12:10:00.000Z → 2026-11-21T12:15:00.000Z');
    expect(message.truncated).toBe(false);
    expect(message.text).toContain('orders v3 ROLLED_BACK in prod at 5 % traffic');
  });

  it('shows a local chart as its path and a hosted chart as an image block', () => {
    const local = buildSlackMessage(rolledBackNotification(), {
      channel: 'C1',
      chart: { localPath: '/tmp/x.png' },
    });
    expect(JSON.stringify(local.blocks)).toContain('Chart: /tmp/x.png');
    const hosted = buildSlackMessage(rolledBackNotification(), {
      channel: 'C1',
      chart: { imageUrl: 'https://example.com/c.png' },
    });
    expect(hosted.blocks.at(-1)).toMatchObject({ type: 'image', image_url: 'https://example.com/c.png' });
  });

  it('stays within Slack limits and says it cut something', () => {
    // Prepare: 200 signals, a 100k summary, a 300-char service name
    const base = rolledBackNotification();
    const n = parseNotification({
      ...base,
      service: 's'.repeat(300),
      verdict: {
        ...base.verdict,
        summary: '<&>'.repeat(40_000),
        signals: Array.from({ length: 200 }, (_, i) => ({
          signal: `sig${i}`,
          outcome: 'PASS',
          observed: 1,
          allowed: 0.1,
          unit: 'relative',
        })),
      },
    });
    // Act
    const message = buildSlackMessage(n, { channel: 'C1' });
    // Assess
    expect(message.truncated).toBe(true);
    expect(message.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    expect(message.text.length).toBeLessThanOrEqual(SLACK_LIMITS.text);
    for (const b of message.blocks) {
      if (b.type === 'header') expect(b.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.header);
      if (b.type === 'section' && b.text)
        expect(b.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
      if (b.type === 'section' && b.fields) {
        expect(b.fields.length).toBeLessThanOrEqual(SLACK_LIMITS.fields);
        for (const f of b.fields) expect(f.text.length).toBeLessThanOrEqual(SLACK_LIMITS.field);
      }
    }
    expect(JSON.stringify(message.blocks)).toMatch(/\+\d+ more signals not shown/);
    expect(JSON.stringify(message.blocks)).toContain('truncated, full data in the thread');
  });

  it('renders a readable console text', () => {
    const text = renderSlackMessageText(
      buildSlackMessage(rolledBackNotification(), { channel: '#payments' }),
    );
    expect(text.split('\n')[0]).toBe('[slack -> #payments]');
    expect(text).toContain('latencyP99');
  });
});

describe('truncateText', () => {
  it('never splits a surrogate pair', () => {
    const r = truncateText('😀'.repeat(100), 51);
    expect(r.truncated).toBe(true);
    expect(r.text.length).toBeLessThanOrEqual(51);
    expect(r.text).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });
  it('leaves short text alone', () => {
    expect(truncateText('ok', 10)).toEqual({ text: 'ok', truncated: false });
  });
});

describe('notification model', () => {
  it('routes a team to its channel, and refuses an unknown team', () => {
    expect(channelFor({ team: 'payments' }, { payments: 'C1' })).toBe('C1');
    expect(channelFor({ team: 'payments', channel: 'C9' }, { payments: 'C1' })).toBe('C9');
    expect(() => channelFor({ team: 'nobody' }, { payments: 'C1' })).toThrow(NotificationRoutingError);
  });
  it('refuses an invalid notification with the field at fault', () => {
    expect(() => parseNotification({ ...rolledBackNotification(), commit: '' })).toThrow(
      NotificationInvalidError,
    );
    expect(() => parseNotification({ ...rolledBackNotification(), commit: '' })).toThrow(/commit/);
  });
  it('carries a canary verdict over with its numbers', () => {
    const verdict = judgeCanaryStep({
      baseline: periods(400, 4),
      canary: periods(100, 8),
      config: parseCanarySpec({ decay: { errorRate: { absolute: 0.005 } } }),
    });
    const v = notificationVerdictFromCanary(verdict);
    expect(v.outcome).toBe('FAIL');
    expect(v.decisive).toBe('errorRate');
    expect(v.signals[0]).toMatchObject({
      observed: 0.08,
      baseline: 0.01,
      allowed: 0.005,
      unit: 'absolute',
      valueUnit: 'ratio',
      test: 'farrington-manning',
      periods: 10,
      periodSeconds: 60,
      samples: { baseline: 4000, canary: 1000 },
    });
    expect(parseNotification({ ...rolledBackNotification(), verdict: v }).verdict).toEqual(v);
  });
});

describe('canaryNotification', () => {
  it('builds a valid notification whose chart shows both slots per period, in %, with the allowed line', () => {
    // Prepare: a canary with 8 % errors against 1 %
    const verdict = judgeCanaryStep({
      baseline: periods(400, 4),
      canary: periods(100, 8),
      config: parseCanarySpec({ decay: { errorRate: { absolute: 0.005 } } }),
    });
    // Act
    const n = canaryNotification({
      service: 'orders',
      team: 'payments',
      commit: 'abc1234',
      execution: 'exec-1',
      version: 3,
      environment: 'prod',
      step: 5,
      event: 'ROLLED_BACK',
      verdict,
      window: { start: '2026-11-21T12:00:00Z', end: '2026-11-21T12:05:00Z' },
    });
    // Assess
    expect(parseNotification(n)).toEqual(n);
    expect(n.id).toBe('exec-1#prod#5#ROLLED_BACK');
    expect(n.chart?.threshold).toBeCloseTo(1.5, 10); // % : baseline 1 % + 0.5 pp
    expect(n.chart?.unit).toBe('%');
    expect(n.chart?.axisLabel).toBe('error rate per 60 s period (%)');
    expect(n.chart?.series.map((s) => s.label)).toEqual(['baseline', 'canary v3']);
    expect(n.chart?.series[1]?.points).toHaveLength(10);
    expect(n.chart?.series[1]?.points[0]?.v).toBeCloseTo(8, 10);
    expect(n.verdict.decisive).toBe('errorRate');
  });
});
