/**
 * The twin's CloudWatch answers the alarm calls the sweeper makes as CloudWatch does: DescribeAlarms by
 * name prefix, in pages of MaxRecords with a NextToken, metric alarms only unless asked otherwise, and
 * without tags; ListTagsForResource by the alarm's ARN with the tags it was created with (an update's
 * are ignored), ResourceNotFoundException for one that is gone. No twin is started.
 */
import { ResourceNotFoundException } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import { TwinCloudWatch } from '../../lambdas/twin/fakes/cloudWatch.ts';
import type { DeployedTemplates } from '../../lambdas/twin/template.ts';

const RAW = { command: {}, client: {} };
const noTemplates = { resourcesOfType: () => [] } as unknown as DeployedTemplates;
const ARN = 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:';

/** A run alarm's PutMetricAlarm request, tagged with `environmentId`. */
const put = (name: string, environmentId: string) => ({
  AlarmName: name,
  Namespace: 'Vouch',
  MetricName: 'latency',
  Statistic: 'Maximum',
  Period: 60,
  EvaluationPeriods: 1,
  Threshold: 100,
  ComparisonOperator: 'GreaterThanThreshold',
  Tags: [{ Key: 'vouch:environment-id', Value: environmentId }],
});

interface Described {
  MetricAlarms: { AlarmName: string; AlarmConfigurationUpdatedTimestamp: Date; Tags?: unknown }[];
  NextToken?: string;
}

describe('CloudWatch on the twin: the alarm calls of the sweeper', () => {
  it('lists alarms by name prefix in name order, a page of MaxRecords at a time, without their tags', async () => {
    // Prepare
    const cw = new TwinCloudWatch(noTemplates).fake();
    for (const run of ['r3', 'r1', 'r2'])
      await cw.handle('PutMetricAlarm', put(`vouch.orders.test-${run}.latency`, `orders.test.${run}`), RAW);
    await cw.handle('PutMetricAlarm', put('vouch.orders.qa.latency', 'orders.qa'), RAW);

    // Act
    const pages: Described[] = [];
    let next: string | undefined;
    do {
      const page = (await cw.handle(
        'DescribeAlarms',
        { AlarmNamePrefix: 'vouch.orders.test-', MaxRecords: 2, ...(next ? { NextToken: next } : {}) },
        RAW,
      )) as Described;
      pages.push(page);
      next = page.NextToken;
    } while (next);
    const composite = (await cw.handle(
      'DescribeAlarms',
      { AlarmNamePrefix: 'vouch.', AlarmTypes: ['CompositeAlarm'] },
      RAW,
    )) as Described;

    // Assess
    expect(pages.map((p) => p.MetricAlarms.map((a) => a.AlarmName))).toEqual([
      ['vouch.orders.test-r1.latency', 'vouch.orders.test-r2.latency'],
      ['vouch.orders.test-r3.latency'],
    ]);
    expect(pages.flatMap((p) => p.MetricAlarms).every((a) => a.Tags === undefined)).toBe(true);
    expect(pages[0]?.MetricAlarms[0]?.AlarmConfigurationUpdatedTimestamp).toBeInstanceOf(Date);
    expect(composite.MetricAlarms).toEqual([]);
  });

  it('gives an alarm’s tags by its ARN, those it was created with, and refuses one that is gone', async () => {
    // Prepare: created tagged r1, then put again (an update) with another tag.
    const cw = new TwinCloudWatch(noTemplates).fake();
    await cw.handle('PutMetricAlarm', put('vouch.orders.test-r1.latency', 'orders.test.r1'), RAW);
    await cw.handle('PutMetricAlarm', put('vouch.orders.test-r1.latency', 'orders.test.other'), RAW);
    const tagsOf = (name: string) => cw.handle('ListTagsForResource', { ResourceARN: `${ARN}${name}` }, RAW);

    // Act / Assess
    expect(await tagsOf('vouch.orders.test-r1.latency')).toEqual({
      Tags: [{ Key: 'vouch:environment-id', Value: 'orders.test.r1' }],
    });
    expect(
      cw.authorization('ListTagsForResource', { ResourceARN: `${ARN}vouch.orders.test-r1.latency` }),
    ).toEqual([{ action: 'cloudwatch:ListTagsForResource', resource: `${ARN}vouch.orders.test-r1.latency` }]);
    await expect(tagsOf('vouch.orders.test-gone.latency')).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});
