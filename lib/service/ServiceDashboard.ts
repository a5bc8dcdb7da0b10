import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { METRIC, METRIC_NAMESPACE } from '../../lambdas/core/evidence/metrics.ts';
import type { GoldenSignalAlarms } from './GoldenSignalAlarms.ts';

export interface ServiceDashboardProps {
  readonly service: string;
  /** The alarms of each environment, by environment name, in display order. */
  readonly alarmsByEnvironment: ReadonlyMap<string, GoldenSignalAlarms>;
  /** @default Duration.minutes(1) */
  readonly period?: Duration;
}

/** One row per environment: alarm status, bot traffic and failures, latency percentiles. */
export class ServiceDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: ServiceDashboardProps) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(1);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `vouch-${props.service}`,
      defaultInterval: Duration.hours(3),
    });
    for (const [environment, alarms] of props.alarmsByEnvironment) {
      const metric = (metricName: string, statistic: string, label: string) =>
        new cloudwatch.Metric({
          namespace: METRIC_NAMESPACE,
          metricName,
          dimensionsMap: { service: props.service, environment },
          statistic,
          period,
          label,
        });
      this.dashboard.addWidgets(
        new cloudwatch.TextWidget({ markdown: `## ${props.service} / ${environment}`, width: 24, height: 1 }),
        new cloudwatch.AlarmStatusWidget({
          title: 'Golden signals',
          alarms: [...alarms.alarms.values()],
          width: 6,
          height: 6,
        }),
        new cloudwatch.GraphWidget({
          title: 'Bot requests and failures',
          left: [
            metric(METRIC.requests, 'SampleCount', 'requests'),
            metric(METRIC.failures, 'Sum', 'failures'),
          ],
          width: 9,
          height: 6,
        }),
        new cloudwatch.GraphWidget({
          title: 'Latency (ms)',
          left: [metric(METRIC.latency, 'p50', 'p50'), metric(METRIC.latency, 'p99', 'p99')],
          width: 9,
          height: 6,
        }),
      );
    }
  }
}
