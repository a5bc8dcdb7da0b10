// EventBridge event patterns as the twin matches them (lambdas/twin/fakes/eventBridge.ts), on the
// examples of the EventBridge user guide's "Content filtering" page.
import { describe, expect, it } from 'vitest';
import { matchesEventPattern } from '../../lambdas/twin/fakes/eventBridge.ts';

const ALARM = {
  source: 'aws.cloudwatch',
  'detail-type': 'CloudWatch Alarm State Change',
  resources: ['arn:aws:cloudwatch:eu-west-1:123456789012:alarm:vouch.orders.qa.latency'],
  detail: { alarmName: 'vouch.orders.qa.latency', state: { value: 'ALARM' }, count: 5 },
};
const VOUCH_RULE = {
  source: ['aws.cloudwatch'],
  'detail-type': ['CloudWatch Alarm State Change'],
  detail: { alarmName: [{ prefix: 'vouch.' }] },
};

describe('EventBridge event patterns on the twin', () => {
  it('matches the alarm rule of the templates on a vouch.* alarm and on nothing else', () => {
    expect(matchesEventPattern(VOUCH_RULE, ALARM)).toBe(true);
    expect(
      matchesEventPattern(VOUCH_RULE, { ...ALARM, detail: { ...ALARM.detail, alarmName: 'ops.cpu' } }),
    ).toBe(false);
    expect(matchesEventPattern(VOUCH_RULE, { ...ALARM, source: 'aws.ec2' })).toBe(false);
    expect(matchesEventPattern(VOUCH_RULE, { source: 'aws.cloudwatch' })).toBe(false);
  });

  it('applies the content filters: literals, lists, arrays, anything-but, numeric, exists, suffix, wildcard', () => {
    const m = (pattern: Record<string, unknown>) => matchesEventPattern(pattern, ALARM);
    expect(m({ detail: { state: { value: ['OK', 'ALARM'] } } })).toBe(true);
    expect(m({ detail: { state: { value: ['OK'] } } })).toBe(false);
    expect(
      m({ resources: ['arn:aws:cloudwatch:eu-west-1:123456789012:alarm:vouch.orders.qa.latency'] }),
    ).toBe(true);
    expect(m({ detail: { state: { value: [{ 'anything-but': 'OK' }] } } })).toBe(true);
    expect(m({ detail: { state: { value: [{ 'anything-but': ['ALARM', 'OK'] }] } } })).toBe(false);
    expect(m({ detail: { alarmName: [{ 'anything-but': { prefix: 'vouch.' } }] } })).toBe(false);
    expect(m({ detail: { count: [{ numeric: ['>', 0, '<=', 5] }] } })).toBe(true);
    expect(m({ detail: { count: [{ numeric: ['>', 5] }] } })).toBe(false);
    expect(m({ detail: { missing: [{ exists: false }] } })).toBe(true);
    expect(m({ detail: { alarmName: [{ exists: false }] } })).toBe(false);
    expect(m({ detail: { alarmName: [{ suffix: '.latency' }] } })).toBe(true);
    expect(m({ detail: { alarmName: [{ wildcard: 'vouch.*.qa.*' }] } })).toBe(true);
    expect(m({ detail: { alarmName: [{ 'equals-ignore-case': 'VOUCH.ORDERS.QA.LATENCY' }] } })).toBe(true);
  });

  it('refuses a content filter it does not model instead of guessing', () => {
    expect(() => matchesEventPattern({ detail: { alarmName: [{ cidr: '10.0.0.0/24' }] } }, ALARM)).toThrow(
      /does not model the content filter "cidr"/,
    );
  });
});
