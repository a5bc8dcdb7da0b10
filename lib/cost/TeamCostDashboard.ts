import { Aws, Duration } from 'aws-cdk-lib';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import {
  COST_ENVIRONMENTS,
  COST_METRIC_NAME,
  COST_METRIC_NAMESPACE,
} from '../../lambdas/core/cost/costItem.ts';
import { InvalidCostInputError } from '../../lambdas/core/cost/errors.ts';

export interface TeamCostService {
  readonly name: string;
  /**
   * The service's own dashboard, linked from the team's.
   * @default the CloudWatch console URL of the dashboard named `vouch-<name>` in this stack's region
   */
  readonly dashboardUrl?: string;
  /**
   * Matched (partially) against EC2 Auto Scaling group names and Lambda function names for the usage
   * widgets: CloudWatch cannot select AWS/EC2 or AWS/Lambda metrics by resource tag, only by name.
   * @default name
   */
  readonly resourceNamePattern?: string;
}

export interface TeamCostDashboardProps {
  readonly team: string;
  /** The team's services, in the order the per-service widgets list them. */
  readonly services: readonly TeamCostService[];
  /** @default `vouch-cost-<team>` */
  readonly dashboardName?: string;
  /** Environments the cost is split by (values of the `environment` tag). @default COST_ENVIRONMENTS (delivery-engine, test, qa, prod) */
  readonly environments?: readonly string[];
  /** Days the dashboard shows by default. @default 30 */
  readonly trendDays?: number;
  /** Services in the top list. @default 10 */
  readonly topServices?: number;
}

const DAY = Duration.days(1);
const USAGE_PERIOD_SECONDS = 3600;

/**
 * One team's cost dashboard, from the `Vouch/Cost` metrics the collector publishes (values are the
 * daily change of cost, so Sum over a 1-day period is the day's cost; Sum over the range, the total):
 * the cost trend in total and per service, its services as a top list, the split by environment,
 * the CPU and invocations of its services, links to each service's dashboard.
 */
export class TeamCostDashboard extends Construct {
  readonly dashboard: cw.Dashboard;
  readonly dashboardName: string;
  readonly environments: readonly string[];
  readonly trendDays: number;
  readonly topServices: number;

  constructor(scope: Construct, id: string, props: TeamCostDashboardProps) {
    super(scope, id);
    const { team, services } = props;
    if (!/^[A-Za-z0-9_.@:/=+-]+$/.test(team)) {
      throw new InvalidCostInputError(
        `TeamCostDashboard team "${team}" is not a usable tag value and dashboard name`,
      );
    }
    this.dashboardName = props.dashboardName ?? `vouch-cost-${team}`;
    this.environments = props.environments ?? COST_ENVIRONMENTS;
    this.trendDays = props.trendDays ?? 30;
    this.topServices = props.topServices ?? 10;
    const range = `-P${this.trendDays}D`;

    const cost = (dimensionsMap: Record<string, string>, label: string): cw.Metric =>
      new cw.Metric({
        namespace: COST_METRIC_NAMESPACE,
        metricName: COST_METRIC_NAME,
        dimensionsMap,
        statistic: cw.Stats.SUM,
        period: DAY,
        label,
      });
    const teamTotal = cost({ Team: team }, `${team} (USD)`);
    const perService = services.map((s) => cost({ Team: team, Service: s.name }, s.name));
    const perEnvironment = this.environments.map((e) => cost({ Team: team, Environment: e }, e));

    this.dashboard = new cw.Dashboard(this, 'Dashboard', {
      dashboardName: this.dashboardName,
      start: range,
      periodOverride: cw.PeriodOverride.INHERIT,
    });
    this.dashboard.addWidgets(
      new cw.TextWidget({
        width: 24,
        height: 3,
        markdown: [
          `# Cost of team ${team}`,
          `Daily ${COST_METRIC_NAME} from Cost Explorer (tags \`team\`, \`service\`, \`environment\`), collected once a day; the last days are restated as AWS settles them.`,
          `Services: ${services.map((s) => `[${s.name}](${s.dashboardUrl ?? serviceDashboardUrl(s.name)})`).join(' · ') || 'none yet'}`,
        ].join('\n\n'),
      }),
    );
    this.dashboard.addWidgets(
      new cw.GraphWidget({
        title: `Daily cost, total (${this.trendDays} days)`,
        width: 18,
        left: [teamTotal],
        leftYAxis: { min: 0, label: 'USD', showUnits: false },
        start: range,
      }),
      new cw.SingleValueWidget({
        title: `Cost over ${this.trendDays} days`,
        width: 6,
        metrics: [teamTotal],
        setPeriodToTimeRange: true,
        start: range,
      }),
    );
    this.dashboard.addWidgets(
      new cw.GraphWidget({
        title: 'Daily cost per service',
        width: 12,
        left: perService,
        stacked: true,
        leftYAxis: { min: 0, label: 'USD', showUnits: false },
        start: range,
      }),
      new cw.GraphWidget({
        title: `Top ${this.topServices} services by cost over ${this.trendDays} days`,
        width: 12,
        view: cw.GraphWidgetView.BAR,
        setPeriodToTimeRange: true,
        start: range,
        // SORT over a SEARCH: every service of the team that has cost, largest total first, even one
        // not declared in `services` (an unexpected tag value is worth seeing).
        left: [
          new cw.MathExpression({
            expression: `SORT(SEARCH('{${COST_METRIC_NAMESPACE},Team,Service} MetricName="${COST_METRIC_NAME}" Team="${team}"', 'Sum', 86400), SUM, DESC, ${this.topServices})`,
            usingMetrics: {},
            label: '',
            period: DAY,
          }),
        ],
      }),
    );
    this.dashboard.addWidgets(
      new cw.GraphWidget({
        title: 'Daily cost by environment',
        width: 12,
        left: perEnvironment,
        stacked: true,
        leftYAxis: { min: 0, label: 'USD', showUnits: false },
        start: range,
      }),
      new cw.GraphWidget({
        title: `Split by environment over ${this.trendDays} days`,
        width: 12,
        view: cw.GraphWidgetView.PIE,
        setPeriodToTimeRange: true,
        left: perEnvironment,
        start: range,
      }),
    );
    const usage = (namespace: string, dimension: string, metricName: string, stat: string, unit: string) =>
      services.map(
        (s) =>
          new cw.MathExpression({
            expression: `SEARCH('{${namespace},${dimension}} MetricName="${metricName}" ${dimension}:${s.resourceNamePattern ?? s.name}', '${stat}', ${USAGE_PERIOD_SECONDS})`,
            usingMetrics: {},
            label: `${s.name} ${unit}`,
            period: Duration.seconds(USAGE_PERIOD_SECONDS),
          }),
      );
    this.dashboard.addWidgets(
      new cw.GraphWidget({
        title: 'EC2 CPU of its services (Auto Scaling groups, %)',
        width: 12,
        left: usage('AWS/EC2', 'AutoScalingGroupName', 'CPUUtilization', 'Average', 'CPU %'),
        leftYAxis: { min: 0, max: 100, showUnits: false },
        start: range,
      }),
      new cw.GraphWidget({
        title: 'Lambda invocations of its services (per hour)',
        width: 12,
        left: usage('AWS/Lambda', 'FunctionName', 'Invocations', 'Sum', 'invocations'),
        leftYAxis: { min: 0, showUnits: false },
        start: range,
      }),
    );
  }
}

/** Console URL of a service dashboard; the region resolves at deploy time. */
export function serviceDashboardUrl(service: string): string {
  return `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards/dashboard/vouch-${service}`;
}
