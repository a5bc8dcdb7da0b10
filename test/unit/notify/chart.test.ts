// The local chart: chart.js on @napi-rs/canvas. The PNG is decoded and its pixels checked: title,
// legend and axis titles are drawn where chart.js puts them, both slots' lines and the allowed line.
import { describe, expect, it } from 'vitest';
import { metricChartConfig, renderMetricChartPng } from '../../../lambdas/adapters/local/chart/index.ts';
import type { NotificationChart } from '../../../lambdas/core/notify/notification.ts';
import { type DecodedPng, decodePng, inkedPixels as inked } from '../../integration/notify/decodePng.ts';
import { rolledBackNotification } from '../../integration/notify/fixtures.ts';

function chartOf(): NotificationChart {
  const chart = rolledBackNotification().chart;
  if (!chart) throw new Error('fixture has a chart');
  return chart;
}

function hasColour(img: DecodedPng, rgb: [number, number, number]): boolean {
  for (let y = 0; y < img.height; y++)
    for (let x = 0; x < img.width; x++) {
      const [r, g, b] = img.pixel(x, y);
      if (
        Math.abs((r as number) - rgb[0]) < 12 &&
        Math.abs((g as number) - rgb[1]) < 12 &&
        Math.abs((b as number) - rgb[2]) < 12
      )
        return true;
    }
  return false;
}

describe('metricChartConfig', () => {
  it('has the title, a legend per series and the allowed line, and axis titles with units', () => {
    const config = metricChartConfig(chartOf());
    expect(config.options?.plugins?.title).toMatchObject({ display: true, text: chartOf().title });
    expect(config.options?.plugins?.legend).toMatchObject({ display: true });
    expect(config.data.datasets.map((d) => d.label)).toEqual(['canary v3', 'baseline', 'allowed (ms)']);
    const scales = config.options?.scales as Record<string, { title?: { text?: string } }>;
    expect(scales.y?.title?.text).toBe('p99 latency per 60 s period (ms)');
    expect(scales.x?.title?.text).toBe('period start (UTC)');
  });
});

describe('renderMetricChartPng', () => {
  it('renders a PNG of the asked size with ink in the title, legend and axis-title areas', async () => {
    // Act
    const img = await decodePng(renderMetricChartPng({ chart: chartOf(), width: 800, height: 400 }));
    // Assess
    expect([img.width, img.height]).toEqual([800, 400]);
    expect(img.pixel(2, 2)).toEqual([255, 255, 255, 255]); // white background, not transparent
    expect(inked(img, 200, 0, 600, 30)).toBeGreaterThan(100); // title, centred on top
    expect(inked(img, 150, 370, 650, 400)).toBeGreaterThan(100); // legend, at the bottom
    expect(inked(img, 0, 100, 22, 300)).toBeGreaterThan(50); // y axis title, rotated on the left
    expect(hasColour(img, [31, 119, 180])).toBe(true); // first series
    expect(hasColour(img, [214, 39, 40])).toBe(true); // second series
    expect(hasColour(img, [230, 120, 0])).toBe(true); // allowed line
  });

  it('draws nothing in the title area when the chart has no title text to draw', async () => {
    // The same check on a blank title must fail: the title test above measures the title.
    const img = await decodePng(
      renderMetricChartPng({ chart: { ...chartOf(), title: ' ' }, width: 800, height: 400 }),
    );
    expect(inked(img, 200, 0, 600, 30)).toBe(0);
  });
});
