import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { TeamCostDashboard } from '../../../lib/cost/TeamCostDashboard.ts';

interface Widget {
  type: string;
  properties: {
    title?: string;
    markdown?: string;
    view?: string;
    setPeriodToTimeRange?: boolean;
    metrics?: unknown[][];
    start?: string;
  };
}

/** Renders a dashboard's DashboardBody (an Fn::Join around the region token) and parses it. */
function dashboardBody(template: Template, dashboardName: string): { start?: string; widgets: Widget[] } {
  const dashboards = template.findResources('AWS::CloudWatch::Dashboard', {
    Properties: { DashboardName: dashboardName },
  });
  const body = Object.values(dashboards)[0]?.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] };
  const rendered = body['Fn::Join'][1]
    .map((part) =>
      typeof part === 'string' ? part : (part as { Ref?: string }).Ref === 'AWS::Region' ? 'eu-west-1' : '?',
    )
    .join('');
  return JSON.parse(rendered) as { start?: string; widgets: Widget[] };
}
const byTitle = (widgets: Widget[], title: RegExp): Widget => {
  const widget = widgets.find((w) => title.test(w.properties.title ?? ''));
  if (widget === undefined) throw new Error(`no widget titled ${title}`);
  return widget;
};
/** The `[namespace, metric, dimName, dimValue, ...]` of each metric line (CDK sorts dimensions by name), options dropped. */
const metricLines = (w: Widget): string[] =>
  (w.properties.metrics ?? []).map((line) => line.filter((x) => typeof x === 'string').join(' '));
const expressions = (w: Widget): string[] =>
  (w.properties.metrics ?? []).flatMap((line) =>
    line.flatMap((x) =>
      typeof x === 'object' && x !== null && 'expression' in x ? [String(x.expression)] : [],
    ),
  );

function synthTwoTeams() {
  const app = new App();
  const stack = new Stack(app, 'Cost', { env: { account: '111111111111', region: 'eu-west-1' } });
  new TeamCostDashboard(stack, 'Payments', {
    team: 'payments',
    services: [
      { name: 'checkout', dashboardUrl: 'https://example.test/checkout' },
      { name: 'ledger', resourceNamePattern: 'ledger-api' },
    ],
  });
  new TeamCostDashboard(stack, 'Search', { team: 'search', services: [{ name: 'finder' }], trendDays: 14 });
  return { stack, template: Template.fromStack(stack) };
}

describe('TeamCostDashboard', { timeout: 120_000 }, () => {
  // One synth for the suite: every assertion reads the same two dashboards.
  let fixture: ReturnType<typeof synthTwoTeams>;
  beforeAll(() => {
    fixture = synthTwoTeams();
  }, 120_000);

  it('gives every team its own dashboard', () => {
    fixture.template.resourceCountIs('AWS::CloudWatch::Dashboard', 2);
    expect(() => dashboardBody(fixture.template, 'vouch-cost-payments')).not.toThrow();
    expect(() => dashboardBody(fixture.template, 'vouch-cost-search')).not.toThrow();
  });

  it('shows the 30-day total cost trend of the team', () => {
    const { start, widgets } = dashboardBody(fixture.template, 'vouch-cost-payments');
    expect(start).toBe('-P30D');
    expect(metricLines(byTitle(widgets, /^Daily cost, total/))).toEqual([
      'Vouch/Cost DailyCost Team payments',
    ]);
    expect(byTitle(widgets, /^Cost over 30 days/).properties.setPeriodToTimeRange).toBe(true);
  });

  it('shows the cost trend per service of that team only', () => {
    const { widgets } = dashboardBody(fixture.template, 'vouch-cost-payments');
    expect(metricLines(byTitle(widgets, /^Daily cost per service/))).toEqual([
      'Vouch/Cost DailyCost Service checkout Team payments',
      'Vouch/Cost DailyCost Service ledger Team payments',
    ]);
    const search = dashboardBody(fixture.template, 'vouch-cost-search').widgets;
    expect(metricLines(byTitle(search, /^Daily cost per service/))).toEqual([
      'Vouch/Cost DailyCost Service finder Team search',
    ]);
  });

  it('lists its services as a top list sorted by total cost', () => {
    const top = byTitle(dashboardBody(fixture.template, 'vouch-cost-payments').widgets, /^Top 10 services/);
    expect(top.properties.view).toBe('bar');
    expect(top.properties.setPeriodToTimeRange).toBe(true);
    expect(expressions(top)).toEqual([
      `SORT(SEARCH('{Vouch/Cost,Team,Service} MetricName="DailyCost" Team="payments"', 'Sum', 86400), SUM, DESC, 10)`,
    ]);
  });

  it('splits the cost by delivery engine, test, qa and prod', () => {
    const { widgets } = dashboardBody(fixture.template, 'vouch-cost-payments');
    const expected = ['delivery-engine', 'test', 'qa', 'prod'].map(
      (e) => `Vouch/Cost DailyCost Environment ${e} Team payments`,
    );
    expect(metricLines(byTitle(widgets, /^Daily cost by environment/))).toEqual(expected);
    const pie = byTitle(widgets, /^Split by environment/);
    expect(pie.properties.view).toBe('pie');
    expect(metricLines(pie)).toEqual(expected);
  });

  it('shows CPU and invocations of its services by resource name', () => {
    const { widgets } = dashboardBody(fixture.template, 'vouch-cost-payments');
    expect(expressions(byTitle(widgets, /^EC2 CPU/))).toEqual([
      `SEARCH('{AWS/EC2,AutoScalingGroupName} MetricName="CPUUtilization" AutoScalingGroupName:checkout', 'Average', 3600)`,
      `SEARCH('{AWS/EC2,AutoScalingGroupName} MetricName="CPUUtilization" AutoScalingGroupName:ledger-api', 'Average', 3600)`,
    ]);
    expect(expressions(byTitle(widgets, /^Lambda invocations/))).toEqual([
      `SEARCH('{AWS/Lambda,FunctionName} MetricName="Invocations" FunctionName:checkout', 'Sum', 3600)`,
      `SEARCH('{AWS/Lambda,FunctionName} MetricName="Invocations" FunctionName:ledger-api', 'Sum', 3600)`,
    ]);
  });

  it("links each service's dashboard", () => {
    const text = dashboardBody(fixture.template, 'vouch-cost-payments').widgets.find(
      (w) => w.type === 'text',
    );
    expect(text?.properties.markdown).toContain('[checkout](https://example.test/checkout)');
    expect(text?.properties.markdown).toContain(
      '[ledger](https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/vouch-ledger)',
    );
    expect(text?.properties.markdown).not.toContain('finder');
  });

  it('honours a shorter trend for another team', () => {
    const { start, widgets } = dashboardBody(fixture.template, 'vouch-cost-search');
    expect(start).toBe('-P14D');
    expect(byTitle(widgets, /^Cost over 14 days/).properties.start).toBe('-P14D');
  });

  it('synthesizes without warnings (math expressions resolve)', () => {
    expect(Annotations.fromStack(fixture.stack).findWarning('*', /.*/)).toEqual([]);
  });

  it('applies its documented defaults', () => {
    // Prepare
    const stack = new Stack(new App(), 'Defaults');

    // Act
    const board = new TeamCostDashboard(stack, 'Board', { team: 'ops', services: [] });

    // Assess
    expect(board.dashboardName).toBe('vouch-cost-ops');
    expect(board.environments).toEqual(['delivery-engine', 'test', 'qa', 'prod']);
    expect(board.trendDays).toBe(30);
    expect(board.topServices).toBe(10);
  });

  it('refuses a team name that cannot be a tag value', () => {
    expect(
      () => new TeamCostDashboard(new Stack(new App(), 'Bad'), 'Board', { team: 'a#b', services: [] }),
    ).toThrow(/not a usable tag value/);
  });
});
