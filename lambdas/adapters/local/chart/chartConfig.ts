/**
 * The chart.js configuration of a notification's chart: both slots' per-period series of the signal,
 * the allowed value as a dashed line, title, legend and axis units. Pure data, so the dashboard draws
 * the same chart in the browser that metricChart.ts renders to PNG here.
 */
import type { ChartConfiguration } from 'chart.js';
import type { NotificationChart } from '../../../core/notify/notification.ts';

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'] as const;
/** The same slot has the same colour on every chart: baseline blue, canary red. */
const SLOT_COLOURS: Readonly<Record<string, string>> = { baseline: '#1f77b4', canary: '#d62728' };
const THRESHOLD_COLOUR = '#e67800';

/** HH:MM:SS UTC of an ISO time: the x labels (period starts). */
const clock = (iso: string) => new Date(iso).toISOString().slice(11, 19);

export function metricChartConfig(chart: NotificationChart): ChartConfiguration<'line'> {
  const times = [...new Set(chart.series.flatMap((s) => s.points.map((p) => Date.parse(p.t))))].sort(
    (a, b) => a - b,
  );
  const labels = times.map((t) => clock(new Date(t).toISOString()));
  const unit = chart.unit ? ` (${chart.unit})` : '';
  const datasets: ChartConfiguration<'line'>['data']['datasets'] = chart.series.map((series, i) => {
    const byTime = new Map(series.points.map((p) => [Date.parse(p.t), p.v]));
    const colour = SLOT_COLOURS[series.label.split(' ')[0] ?? ''] ?? (COLOURS[i % COLOURS.length] as string);
    return {
      label: series.label,
      data: times.map((t) => byTime.get(t) ?? null),
      borderColor: colour,
      backgroundColor: colour,
      borderWidth: 2,
      pointRadius: 3,
      spanGaps: false,
    };
  });
  if (chart.threshold !== undefined) {
    datasets.push({
      label: `allowed${unit}`,
      data: times.map(() => chart.threshold as number),
      borderColor: THRESHOLD_COLOUR,
      backgroundColor: THRESHOLD_COLOUR,
      borderDash: [8, 5],
      borderWidth: 2,
      pointRadius: 0,
    });
  }
  return {
    type: 'line',
    data: { labels, datasets },
    options: {
      animation: false,
      responsive: false,
      devicePixelRatio: 1,
      plugins: {
        title: { display: true, text: chart.title, font: { size: 16 } },
        legend: { display: true, position: 'bottom' },
      },
      scales: {
        x: { title: { display: true, text: 'period start (UTC)' } },
        y: { beginAtZero: true, title: { display: true, text: chart.axisLabel ?? `value${unit}` } },
      },
    },
  };
}
