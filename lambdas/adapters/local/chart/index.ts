import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Notification } from '../../../core/notify/notification.ts';
import type { ChartImage, ChartPort } from '../../slack/ports.ts';
import { renderMetricChartPng } from './metricChart.ts';

export { metricChartConfig } from './chartConfig.ts';
export { type MetricChartInput, renderMetricChartPng } from './metricChart.ts';

/** The local ChartPort: renders the notification's series to `<dir>/<id>.png`. */
export function createLocalChartPort(dir: string): ChartPort {
  return {
    async render(notification: Notification): Promise<ChartImage | undefined> {
      if (!notification.chart) return undefined;
      const png = renderMetricChartPng({ chart: notification.chart });
      const filename = `${notification.id.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100)}.png`;
      await mkdir(dir, { recursive: true });
      const path = join(dir, filename);
      await writeFile(path, png);
      return { png, filename, path };
    },
  };
}
