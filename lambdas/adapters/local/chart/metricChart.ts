/**
 * Renders the chart of a notification locally: the metric's series around the window, the window
 * shaded, the allowed value as a dashed line. The same picture CloudWatch's GetMetricWidgetImage
 * draws on AWS (lambdas/adapters/aws/notify/cloudWatchChart.ts), in a PNG we encode ourselves.
 */
import type { NotificationChart } from '../../../core/notify/notification.ts';
import { encodePng } from './png.ts';

type Rgb = readonly [number, number, number];

const COLOURS = {
  background: [255, 255, 255],
  axis: [90, 90, 90],
  grid: [232, 232, 232],
  window: [255, 236, 200],
  threshold: [230, 120, 0],
  text: [40, 40, 40],
  series: [
    [214, 39, 40], // canary: red
    [31, 119, 180], // baseline: blue
    [44, 160, 44],
    [148, 103, 189],
  ],
} as const satisfies Record<string, Rgb | readonly Rgb[]>;

// 3x5 bitmap digits and the few symbols axis labels need; rows top to bottom, 3 bits each.
const GLYPHS: Record<string, readonly number[]> = {
  '0': [7, 5, 5, 5, 7],
  '1': [2, 6, 2, 2, 7],
  '2': [7, 1, 7, 4, 7],
  '3': [7, 1, 7, 1, 7],
  '4': [5, 5, 7, 1, 1],
  '5': [7, 4, 7, 1, 7],
  '6': [7, 4, 7, 5, 7],
  '7': [7, 1, 1, 1, 1],
  '8': [7, 5, 7, 5, 7],
  '9': [7, 5, 7, 1, 7],
  '.': [0, 0, 0, 0, 2],
  '-': [0, 0, 7, 0, 0],
  ':': [0, 2, 0, 2, 0],
  ' ': [0, 0, 0, 0, 0],
};

class Canvas {
  readonly pixels: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.pixels = new Uint8Array(width * height * 3).fill(255);
  }
  set(x: number, y: number, c: Rgb): void {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= this.width || yi >= this.height) return;
    const i = (yi * this.width + xi) * 3;
    this.pixels[i] = c[0];
    this.pixels[i + 1] = c[1];
    this.pixels[i + 2] = c[2];
  }
  rect(x0: number, y0: number, x1: number, y1: number, c: Rgb): void {
    for (let y = Math.round(Math.min(y0, y1)); y <= Math.round(Math.max(y0, y1)); y++) {
      for (let x = Math.round(Math.min(x0, x1)); x <= Math.round(Math.max(x0, x1)); x++) this.set(x, y, c);
    }
  }
  /** Bresenham, `thickness` px square pen, optional dash pattern (on, off) in px. */
  line(
    x0: number,
    y0: number,
    x1: number,
    y1: number,
    c: Rgb,
    thickness = 1,
    dash?: readonly [number, number],
  ): void {
    const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    for (let s = 0; s <= steps; s++) {
      if (dash && s % (dash[0] + dash[1]) >= dash[0]) continue;
      const x = x0 + ((x1 - x0) * s) / steps;
      const y = y0 + ((y1 - y0) * s) / steps;
      for (let dy = 0; dy < thickness; dy++)
        for (let dx = 0; dx < thickness; dx++) this.set(x + dx, y + dy, c);
    }
  }
  text(x: number, y: number, text: string, c: Rgb, scale = 2): void {
    let cx = x;
    for (const ch of text) {
      const glyph = GLYPHS[ch] ?? GLYPHS[' '];
      glyph?.forEach((row, gy) => {
        for (let gx = 0; gx < 3; gx++) {
          if (row & (4 >> gx))
            this.rect(
              cx + gx * scale,
              y + gy * scale,
              cx + gx * scale + scale - 1,
              y + gy * scale + scale - 1,
              c,
            );
        }
      });
      cx += 4 * scale;
    }
  }
}

export interface MetricChartInput {
  readonly chart: NotificationChart;
  readonly window: { readonly start: string; readonly end: string };
  readonly width?: number;
  readonly height?: number;
}

function label(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(1) : v.toFixed(3);
}

/** Renders the chart to PNG bytes. */
export function renderMetricChartPng({ chart, window, width = 640, height = 320 }: MetricChartInput): Buffer {
  const canvas = new Canvas(width, height);
  const left = 60;
  const right = width - 12;
  const top = 12;
  const bottom = height - 28;
  const windowStart = Date.parse(window.start);
  const windowEnd = Date.parse(window.end);
  const times = chart.series.flatMap((s) => s.points.map((p) => Date.parse(p.t)));
  const values = chart.series.flatMap((s) => s.points.map((p) => p.v));
  const tMin = Math.min(windowStart, ...times);
  const tMax = Math.max(windowEnd, ...times, tMin + 1);
  const vMax = Math.max(...values, chart.threshold ?? 0, 1e-9) * 1.1;
  const vMin = Math.min(0, ...values);
  const x = (t: number) => left + ((t - tMin) / (tMax - tMin)) * (right - left);
  const y = (v: number) => bottom - ((v - vMin) / (vMax - vMin)) * (bottom - top);

  canvas.rect(x(windowStart), top, x(windowEnd), bottom, COLOURS.window);
  for (let i = 0; i <= 4; i++) {
    const v = vMin + ((vMax - vMin) * i) / 4;
    canvas.line(left, y(v), right, y(v), COLOURS.grid);
    canvas.text(4, y(v) - 5, label(v), COLOURS.text);
  }
  canvas.line(left, top, left, bottom, COLOURS.axis, 2);
  canvas.line(left, bottom, right, bottom, COLOURS.axis, 2);
  // Window start/end times (HH:MM:SS, UTC) under the axis.
  for (const t of [windowStart, windowEnd]) {
    canvas.text(x(t) - 30, bottom + 8, new Date(t).toISOString().slice(11, 19), COLOURS.text);
  }
  if (chart.threshold !== undefined) {
    canvas.line(left, y(chart.threshold), right, y(chart.threshold), COLOURS.threshold, 2, [8, 5]);
  }
  chart.series.forEach((series, i) => {
    const colour = COLOURS.series[i % COLOURS.series.length] as Rgb;
    const points = [...series.points].sort((a, b) => Date.parse(a.t) - Date.parse(b.t));
    for (let k = 1; k < points.length; k++) {
      const a = points[k - 1];
      const b = points[k];
      if (a && b) canvas.line(x(Date.parse(a.t)), y(a.v), x(Date.parse(b.t)), y(b.v), colour, 2);
    }
    if (points.length === 1 && points[0])
      canvas.rect(
        x(Date.parse(points[0].t)) - 2,
        y(points[0].v) - 2,
        x(Date.parse(points[0].t)) + 2,
        y(points[0].v) + 2,
        colour,
      );
  });
  return encodePng({ width, height, pixels: canvas.pixels });
}
