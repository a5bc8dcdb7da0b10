/**
 * The AWS ChartPort: CloudWatch draws the metric around the window with GetMetricWidgetImage: title,
 * a legend with one series per slot, the y axis labelled with its unit, the allowed value as a line.
 * Widget syntax: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Metric-Widget-Structure.html
 * (a vertical annotation given as a pair of points shades a band: the verification window).
 */
import { type CloudWatchClient, GetMetricWidgetImageCommand } from '@aws-sdk/client-cloudwatch';
import type { Notification } from '../../../core/notify/notification.ts';
import { ChartRenderError } from '../../slack/errors.ts';
import type { ChartImage, ChartPort } from '../../slack/ports.ts';

/** The metric widget JSON for a notification, or undefined when it names no CloudWatch metric. */
export function metricWidgetFor(notification: Notification): Record<string, unknown> | undefined {
  const chart = notification.chart;
  if (!chart?.cloudwatch) return undefined;
  const start = Date.parse(notification.window.start);
  const end = Date.parse(notification.window.end);
  // Context on both sides of the window: half its length, at least five minutes.
  const pad = Math.max(5 * 60_000, (end - start) / 2);
  return {
    title: chart.title,
    view: 'timeSeries',
    width: 800,
    height: 400,
    start: new Date(start - pad).toISOString(),
    end: new Date(end + pad).toISOString(),
    period: chart.cloudwatch.period,
    ...(chart.cloudwatch.region ? { region: chart.cloudwatch.region } : {}),
    metrics: chart.cloudwatch.metrics,
    // Each series is labelled (its slot and version) in the legend; the y axis says the unit.
    legend: { position: 'bottom' },
    yAxis: { left: { label: chart.axisLabel ?? chart.unit, showUnits: false, min: 0 } },
    annotations: {
      ...(chart.threshold === undefined
        ? {}
        : {
            horizontal: [
              {
                label:
                  `allowed (${chart.threshold.toFixed(chart.unit === '%' ? 2 : 1)} ${chart.unit})`.replace(
                    ' ()',
                    '',
                  ),
                value: chart.threshold,
                color: '#e67800',
              },
            ],
          }),
      vertical: [
        [
          { label: 'verification window', value: notification.window.start, color: '#ffe0a0' },
          { value: notification.window.end },
        ],
      ],
    },
  };
}

export function createCloudWatchChartPort(cloudWatch: CloudWatchClient): ChartPort {
  return {
    async render(notification: Notification): Promise<ChartImage | undefined> {
      const widget = metricWidgetFor(notification);
      if (widget === undefined) return undefined;
      try {
        const out = await cloudWatch.send(
          new GetMetricWidgetImageCommand({ MetricWidget: JSON.stringify(widget), OutputFormat: 'png' }),
        );
        if (!out.MetricWidgetImage) throw new ChartRenderError('GetMetricWidgetImage returned no image');
        return {
          png: out.MetricWidgetImage,
          filename: `${notification.service}-${notification.environment}-chart.png`,
        };
      } catch (error) {
        if (error instanceof ChartRenderError) throw error;
        throw new ChartRenderError(`GetMetricWidgetImage failed: ${(error as Error).message}`, {
          cause: error,
        });
      }
    },
  };
}
