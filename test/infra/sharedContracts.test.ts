/**
 * The strings lib/ (the stacks) and lambdas/ (the code they deploy) must agree on are defined once, in
 * lambdas/, and imported by lib/; this pins their values and checks the synthesized template uses them.
 */
import { describe, expect, it } from 'vitest';
import { RUNTIME_ENV } from '../../lambdas/adapters/aws/functionEnvironment.ts';
import { COST_ALLOCATION_TAG_KEYS } from '../../lambdas/core/cost/activation.ts';
import { ALARM_NAME_PREFIX, alarmName, parseAlarmName } from '../../lambdas/core/evidence/alarms.ts';
import { TAG_KEYS } from '../../lambdas/core/shared/tags.ts';
import { ALARM_NAME_PREFIX as STACK_ALARM_NAME_PREFIX } from '../../lib/platform/PlatformStack.ts';
import { propsOf, resourcesOf, synthVouch } from './support/vouchApp.ts';

const vouch = synthVouch();

describe('contracts shared by lib/ and lambdas/', () => {
  it('the alarm name prefix: one value, the names the evidence code makes and parses', () => {
    expect(ALARM_NAME_PREFIX).toBe('vouch.');
    expect(STACK_ALARM_NAME_PREFIX).toBe(ALARM_NAME_PREFIX);
    const name = alarmName('orders', 'prod', 'latency');
    expect(name).toBe('vouch.orders.prod.latency');
    expect(parseAlarmName(name)).toEqual({ service: 'orders', environment: 'prod', signal: 'latency' });
    expect(parseAlarmName('other.orders.prod.latency')).toBeUndefined();
  });

  it('the alarm rule of the platform stack matches the prefix', () => {
    const rules = JSON.stringify(resourcesOf(vouch.platform, 'AWS::Events::Rule'));
    expect(rules).toContain(JSON.stringify({ prefix: ALARM_NAME_PREFIX }));
  });

  it('the tag keys: service, team, solution on every resource; cost adds environment', () => {
    expect(TAG_KEYS).toEqual(['service', 'team', 'solution']);
    expect(COST_ALLOCATION_TAG_KEYS).toEqual([...TAG_KEYS, 'environment']);
  });

  it('the build table variable: the notifier reads VOUCH_BUILD_TABLE like every other Lambda', () => {
    expect(RUNTIME_ENV.buildTable).toBe('VOUCH_BUILD_TABLE');
    const notifier = Object.values(resourcesOf(vouch.platform, 'AWS::Lambda::Function'))
      .map(
        (fn) => (propsOf(fn).Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables,
      )
      .find((vars) => vars?.POWERTOOLS_SERVICE_NAME === 'vouch-notifier');
    expect(notifier).toBeDefined();
    expect(Object.keys(notifier ?? {})).toContain(RUNTIME_ENV.buildTable);
    expect(Object.keys(notifier ?? {})).not.toContain('TABLE_NAME');
  });
});
