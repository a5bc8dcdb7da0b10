import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  PutMetricAlarmCommand,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ALARM_NAME_MAX,
  cloudWatchRunAlarms,
  runAlarmPrefix,
} from '../../../lambdas/adapters/aws/evidence/runAlarms.ts';
import { scheduleName } from '../../../lambdas/adapters/aws/evidence/windowEndSchedule.ts';
import { wirePorts } from '../../../lambdas/adapters/aws/pipeline/taskHandler.ts';
import { AlarmsSpecSchema } from '../../../lambdas/core/evidence/spec.ts';
import type { JsonValue } from '../../../lambdas/core/pipeline/contract.ts';
import { createPipelineTasks } from '../../../lambdas/core/pipeline/tasks.ts';
import { environmentId, evidenceEnvironment, runKeyOf } from '../../../lambdas/core/target/naming.ts';
import type { DeployTarget, Environment } from '../../../lambdas/core/target/port.ts';
import { AFTER_VERSION, EXECUTION, SERVICE, taskEvent } from '../aws-pipeline/fixtures.ts';

const cloudWatch = mockClient(CloudWatchClient);
afterEach(() => cloudWatch.reset());

const testEnv = (execution: string): Environment => ({
  id: environmentId(SERVICE, 'test', runKeyOf(execution)),
  service: SERVICE,
  name: 'test',
  ephemeral: true,
  tags: { service: SERVICE, team: 'payments', solution: 'storefront' },
  proxyUrl: 'https://shop-test.example.com',
  createdAt: '2030-01-01T00:00:00.000Z',
});

function tasksWith(type: 'provision' | 'destroy', env: Environment) {
  const target = {
    provision: vi.fn(async () => env),
    destroy: vi.fn(async () => undefined),
  } as unknown as DeployTarget;
  return {
    target,
    tasks: createPipelineTasks(
      wirePorts(type, {
        target,
        builds: { recordTaskEvent: async () => undefined } as never,
        runAlarms: cloudWatchRunAlarms(new CloudWatchClient({ region: 'eu-west-1' })),
      }),
    ),
  };
}

describe("per-run alarms of a run's test environment (issue 12 item 4)", () => {
  it('provision creates the run’s own golden-signal alarms on its metrics, tagged; destroy deletes exactly them', async () => {
    // Prepare
    cloudWatch.on(PutMetricAlarmCommand).resolves({});
    const env = testEnv(EXECUTION);
    const { tasks } = tasksWith('provision', env);

    // Act
    const out = (await tasks.provision(
      taskEvent('provision', {
        params: { environment: 'test' },
        out: AFTER_VERSION,
        config: { alarms: { errorRate: { thresholdPercent: 2 } } },
      }),
    )) as { alarms: string[] };

    // Assess: names and dimensions carry the run; two runs never share an alarm.
    const key = evidenceEnvironment('test', EXECUTION);
    expect(out.alarms).toEqual([
      `vouch.${SERVICE}.${key}.errorRate`,
      `vouch.${SERVICE}.${key}.latency`,
      `vouch.${SERVICE}.${key}.traffic`,
    ]);
    const puts = cloudWatch.commandCalls(PutMetricAlarmCommand).map((c) => c.args[0].input);
    expect(puts).toHaveLength(3);
    for (const put of puts) {
      expect(put.Tags).toEqual(
        expect.arrayContaining([
          { Key: 'service', Value: SERVICE },
          { Key: 'team', Value: 'payments' },
          { Key: 'solution', Value: 'storefront' },
          { Key: 'vouch:environment-id', Value: env.id },
        ]),
      );
    }
    const errorRate = puts.find((p) => p.AlarmName?.endsWith('.errorRate'));
    expect(errorRate).toMatchObject({ Threshold: 2, ComparisonOperator: 'GreaterThanThreshold' });
    expect(errorRate?.Metrics?.map((m) => m.Id)).toEqual(['numerator', 'denominator', 'ratio']);
    expect(errorRate?.Metrics?.[0]?.MetricStat?.Metric?.Dimensions).toEqual([
      { Name: 'service', Value: SERVICE },
      { Name: 'environment', Value: key },
    ]);
    const latency = puts.find((p) => p.AlarmName?.endsWith('.latency'));
    expect(latency).toMatchObject({ ExtendedStatistic: 'p99', MetricName: 'latency' });
    expect(latency?.Statistic).toBeUndefined();

    // Act: destroy finds the run's alarms by their prefix (the trailing dot keeps a longer run key out).
    const names = puts.map((p) => String(p.AlarmName));
    cloudWatch
      .on(DescribeAlarmsCommand)
      .resolves({ MetricAlarms: names.map((AlarmName) => ({ AlarmName })) });
    cloudWatch.on(DeleteAlarmsCommand).resolves({});
    const destroying = tasksWith('destroy', env);
    const destroyed = await destroying.tasks.destroy(
      taskEvent('destroy', { params: { environment: 'test' } }),
    );

    // Assess
    expect(cloudWatch).toHaveReceivedCommandWith(DescribeAlarmsCommand, {
      AlarmNamePrefix: `vouch.${SERVICE}.${key}.`,
    });
    expect(cloudWatch).toHaveReceivedCommandWith(DeleteAlarmsCommand, { AlarmNames: names });
    expect(destroyed).toMatchObject({ destroyed: env.id, alarmsDeleted: names });
    expect(destroying.target.destroy).toHaveBeenCalledWith({ id: env.id });
  });

  it('fits CloudWatch’s 255 characters with the longest run key, and the window-end schedule its 64', () => {
    // Prepare: a 64-character run key (runKeyOf's longest) and a long service name.
    const execution = `gh-${'d'.repeat(120)}`;
    const service = 's'.repeat(60);
    const key = evidenceEnvironment('test', runKeyOf(execution));
    const names = ['errorRate', 'latency', 'traffic', 'saturation'].map(
      (s) => `vouch.${service}.${key}.${s}`,
    );

    // Assess
    for (const name of names) expect(name.length).toBeLessThanOrEqual(ALARM_NAME_MAX);
    expect(runAlarmPrefix(environmentId(service, 'test', runKeyOf(execution)))).toBe(
      `vouch.${service}.${key}.`,
    );
    const a = scheduleName({ service, environment: key, token: 'token-of-run-a' });
    const b = scheduleName({ service, environment: key, token: 'token-of-run-b' });
    expect(a.length).toBeLessThanOrEqual(64);
    expect(a).toMatch(/^[0-9A-Za-z_.-]+$/);
    expect(a).not.toBe(b);
  });

  it('refuses an alarm name over 255 characters, naming it, before any call', async () => {
    const env = { ...testEnv(EXECUTION), service: 'x'.repeat(240) };
    const alarms = cloudWatchRunAlarms(new CloudWatchClient({ region: 'eu-west-1' }));
    await expect(alarms.create(env, AlarmsSpecSchema.parse({}))).rejects.toThrow(/CloudWatch allows 255/);
    expect(cloudWatch).not.toHaveReceivedCommand(PutMetricAlarmCommand);
  });

  it('creates no alarms for a lasting environment (the service stacks own those)', async () => {
    const qa = { ...testEnv(EXECUTION), id: environmentId(SERVICE, 'qa'), name: 'qa', ephemeral: false };
    const { tasks } = tasksWith('provision', qa);
    const out = await tasks.provision(
      taskEvent('provision', {
        params: { environment: 'qa' },
        out: AFTER_VERSION,
        item: { name: 'qa' } as JsonValue,
      }),
    );
    expect(out).not.toHaveProperty('alarms');
    expect(cloudWatch).not.toHaveReceivedCommand(PutMetricAlarmCommand);
  });
});
