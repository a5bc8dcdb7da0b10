/** The metrics bots emit and alarms watch, and the port they are written through. */

/** CloudWatch namespace of every Vouch evidence metric. */
export const METRIC_NAMESPACE = 'Vouch';

export const METRIC = {
  /** One sample per bot HTTP request (value 1). */
  requests: 'requests',
  /** One sample per bot HTTP request: 1 when it failed its expectations, else 0. */
  failures: 'failures',
  /** One sample per bot HTTP request: milliseconds until the response (or the error). */
  latency: 'latency',
  /** Percent, reported by targets that know it (CPU, pool use). */
  saturation: 'saturation',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

export type Dimensions = Readonly<Record<string, string>>;

export interface MetricSample {
  readonly name: string;
  readonly dimensions: Dimensions;
  readonly value: number;
  /** Epoch milliseconds. */
  readonly timestamp: number;
  readonly unit?: 'Count' | 'Milliseconds' | 'Percent';
}

/** Port: where bot results go. EMF through Powertools Metrics on AWS, the local metric store on one machine. */
export interface MetricSink {
  put(samples: readonly MetricSample[]): Promise<void>;
}

/** The dimension sets bot metrics carry: alarms watch (service, environment); dashboards split further. */
export interface BotDimensions {
  readonly service: string;
  readonly environment: string;
  readonly scenario: string;
  readonly version: string;
}

/** True when every dimension of `wanted` is present with the same value in `actual`. */
export function dimensionsMatch(wanted: Dimensions, actual: Dimensions): boolean {
  return Object.entries(wanted).every(([key, value]) => actual[key] === value);
}
