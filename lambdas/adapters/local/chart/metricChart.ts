/**
 * Renders a notification's chart to PNG on this machine: chart.js (the dashboard's charting library)
 * drawing on @napi-rs/canvas, on a white background so the PNG reads the same in any Slack theme.
 * CloudWatch's GetMetricWidgetImage draws the same picture on AWS (aws/notify/cloudWatchChart.ts).
 */
import { createCanvas } from '@napi-rs/canvas';
import { Chart, type ChartConfiguration, registerables } from 'chart.js';
import type { NotificationChart } from '../../../core/notify/notification.ts';
import { ChartCanvasUnsupportedError } from '../errors.ts';
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

/** The Canvas 2D members chart.js draws a line chart with (its canvas helpers, scales and elements). */
const DRAWING_API = [
  'save',
  'restore',
  'translate',
  'rotate',
  'setTransform',
  'beginPath',
  'closePath',
  'moveTo',
  'lineTo',
  'arc',
  'rect',
  'clip',
  'fill',
  'stroke',
  'fillRect',
  'clearRect',
  'fillText',
  'measureText',
  'setLineDash',
] as const;

/**
 * chart.js types its context as the DOM's CanvasRenderingContext2D (whose `canvas` is an
 * HTMLCanvasElement); off the DOM (its BasicPlatform) it only draws with the 2D API, which
 * @napi-rs/canvas implements. So the context is narrowed by checking that API is there.
 */
function isChartContext(context: object): context is CanvasRenderingContext2D {
  return missingDrawingApi(context).length === 0;
}

function missingDrawingApi(context: object): string[] {
  return DRAWING_API.filter((member) => typeof Reflect.get(context, member) !== 'function');
}

/** Renders the chart to PNG bytes. */
export function renderMetricChartPng({ chart, width = 800, height = 400 }: MetricChartInput): Buffer {
  const canvas = createCanvas(width, height);
  const config: ChartConfiguration<'line'> = { ...metricChartConfig(chart), plugins: [whiteBackground] };
  const context = canvas.getContext('2d');
  if (!isChartContext(context)) throw new ChartCanvasUnsupportedError(missingDrawingApi(context));
  const drawn = new Chart(context, config);
  try {
    return canvas.toBuffer('image/png');
  } finally {
    drawn.destroy();
  }
}
