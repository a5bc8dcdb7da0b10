/** What a verification window reads (evidence) and what it decides (verdict). */
import type { AlarmState, ComparisonOperator, Datapoint } from './alarmEvaluator.ts';
import type { GoldenSignal } from './alarms.ts';

export interface AlarmTransition {
  /** Epoch ms. */
  readonly at: number;
  readonly from: AlarmState;
  readonly to: AlarmState;
  readonly reason: string;
  /** The evaluation range that caused the transition, oldest first. */
  readonly datapoints: readonly Datapoint[];
}

/** One alarm of (service, environment) as seen over a window. */
export interface AlarmEvidence {
  readonly name: string;
  readonly signal: GoldenSignal;
  readonly comparison: ComparisonOperator;
  readonly threshold: number;
  readonly unit: string;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  /** State the alarm was in when the window (after grace) began. */
  readonly stateAtStart: AlarmState;
  /** Transitions inside the window, in time order. */
  readonly transitions: readonly AlarmTransition[];
  /** The alarm metric's period values over the window. */
  readonly datapoints: readonly Datapoint[];
}

export interface WindowEvidence {
  readonly alarms: readonly AlarmEvidence[];
  /** Bot requests (SampleCount of `requests`) of (service, environment) inside the window. */
  readonly botSamples: number;
}

export interface EvidenceQuery {
  readonly service: string;
  readonly environment: string;
  /** Epoch ms, inclusive. */
  readonly start: number;
  /** Epoch ms, exclusive. */
  readonly end: number;
}

/** Port: reads the evidence of a window. The local metric store locally, CloudWatch on AWS. */
export interface EvidenceReader {
  readEvidence(query: EvidenceQuery): Promise<WindowEvidence>;
}

export type VerdictOutcome = 'PASSED' | 'FAILED';

export interface Verdict {
  readonly outcome: VerdictOutcome;
  readonly reason: string;
  readonly service: string;
  readonly environment: string;
  readonly execution?: string;
  readonly version?: number;
  readonly step?: number;
  /** Name of the alarm that failed the window. */
  readonly alarm?: string;
  readonly signal?: GoldenSignal;
  /** Metric (expression) the alarm watches. */
  readonly metric?: string;
  readonly threshold?: number;
  readonly comparison?: ComparisonOperator;
  readonly unit?: string;
  /** Values of the breaching datapoints (the ones that made the alarm fire). */
  readonly observed?: readonly number[];
  readonly datapoints?: readonly Datapoint[];
  /** ISO 8601. */
  readonly windowStart: string;
  /** ISO 8601: the scheduled end of the window. */
  readonly windowEnd: string;
  /** ISO 8601: when the verdict was reached (before windowEnd when an alarm cut it short). */
  readonly decidedAt: string;
  readonly botSamples: number;
  readonly minBotSamples: number;
  /** What resumed the window. */
  readonly trigger: 'alarm' | 'windowEnd' | 'timeout';
}
