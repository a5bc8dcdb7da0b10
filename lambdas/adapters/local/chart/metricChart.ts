/**
 * Renders a notification's chart to PNG on this machine: chart.js (the dashboard's charting library)
 * drawing on @napi-rs/canvas, on a white background so the PNG reads the same in any Slack theme.
 * CloudWatch's GetMetricWidgetImage draws the same picture on AWS (aws/notify/cloudWatchChart.ts).
 */
import { createCanvas } from '@napi-rs/canvas';
import { Chart, type ChartConfiguration, registerables } from 'chart.js';
import type { NotificationChart } from '../../../core/notify/notification.ts';
import { metricChartConfig } from './chartConfig.ts';

Chart.register(...registerables);

export interface MetricChartInput {
  readonly chart: NotificationChart;
  readonly width?: number;
  readonly height?: number;
}

const whiteBackground = {
  id: 'whiteBackground',
  beforeDraw(chart: Chart) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

/** Renders the chart to PNG bytes. */
export function renderMetricChartPng({ chart, width = 800, height = 400 }: MetricChartInput): Buffer {
  const canvas = createCanvas(width, height);
  const config: ChartConfiguration<'line'> = { ...metricChartConfig(chart), plugins: [whiteBackground] };
  // chart.js draws on any CanvasRenderingContext2D; @napi-rs/canvas implements that interface.
  const drawn = new Chart(
    canvas.getContext('2d') as unknown as ConstructorParameters<typeof Chart>[0],
    config,
  );
  try {
    return canvas.toBuffer('image/png');
  } finally {
    drawn.destroy();
  }
}
