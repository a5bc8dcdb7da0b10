/**
 * The local stand-in for CloudWatch metrics and alarms: stores raw samples, evaluates alarms with
 * CloudWatch's semantics (lambdas/core/evidence/alarmEvaluator.ts) and tells subscribers about a state
 * change the moment the datapoint that causes it is put, so a verification window fails at once.
 * Time comes from an injected clock: tests run it in virtual time.
 */
import {
  type AlarmState,
  computeStatistic,
  type Datapoint,
  evaluateAlarm,
} from '../../../core/evidence/alarmEvaluator.ts';
import type { AlarmDefinition } from '../../../core/evidence/alarms.ts';
import { type Clock, systemClock, type TimerHandle } from '../../../core/evidence/clock.ts';
import type {
  AlarmEvidence,
  AlarmTransition,
  EvidenceQuery,
  EvidenceReader,
  WindowEvidence,
} from '../../../core/evidence/evidence.ts';
import {
  type Dimensions,
  dimensionsMatch,
  METRIC,
  type MetricSample,
  type MetricSink,
} from '../../../core/evidence/metrics.ts';

export interface AlarmStateChange {
  readonly alarmName: string;
  readonly service: string;
  readonly environment: string;
  readonly signal: AlarmDefinition['signal'];
  readonly previousState: AlarmState;
  readonly state: AlarmState;
  /** Epoch ms (store clock). */
  readonly at: number;
  readonly reason: string;
  readonly datapoints: readonly Datapoint[];
}

export type AlarmListener = (change: AlarmStateChange) => void | Promise<void>;

interface AlarmRecord {
  readonly definition: AlarmDefinition;
  state: AlarmState;
  readonly history: AlarmTransition[];
}

export interface LocalMetricStoreOptions {
  readonly clock?: Clock;
  /** Samples older than this (store time) are dropped, so a long demo stays bounded. @default 6 hours */
  readonly retentionMs?: number;
  /** Called when a listener throws or rejects. @default console.error */
  readonly onListenerError?: (error: unknown) => void;
}

export class LocalMetricStore implements MetricSink, EvidenceReader {
  private readonly clock: Clock;
  private readonly retentionMs: number;
  private readonly onListenerError: (error: unknown) => void;
  private readonly samples = new Map<string, MetricSample[]>();
  private readonly alarms = new Map<string, AlarmRecord>();
  private readonly listeners = new Set<AlarmListener>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timers = new Map<number, TimerHandle>();
  private running = false;

  constructor(options: LocalMetricStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.retentionMs = options.retentionMs ?? 6 * 3_600_000;
    this.onListenerError =
      options.onListenerError ?? ((error) => console.error('alarm listener failed', error));
  }

  /** Adds (or replaces) alarms. A new alarm starts in INSUFFICIENT_DATA, as in CloudWatch. */
  defineAlarms(definitions: readonly AlarmDefinition[]): void {
    for (const definition of definitions) {
      const existing = this.alarms.get(definition.name);
      this.alarms.set(definition.name, {
        definition,
        state: existing?.state ?? 'INSUFFICIENT_DATA',
        history: existing?.history ?? [],
      });
    }
    if (this.running) this.armTimers();
  }

  /** Forgets alarms (an ephemeral environment's, once it is destroyed): they are no longer evaluated. */
  removeAlarms(names: readonly string[]): void {
    for (const name of names) this.alarms.delete(name);
    if (this.running) this.armTimers();
  }

  /** Subscribes to alarm state changes; returns the unsubscribe function. */
  onAlarmStateChange(listener: AlarmListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async put(samples: readonly MetricSample[]): Promise<void> {
    this.putNow(samples);
  }

  /** Synchronous put: the alarm evaluation (and its events) happen before this returns. */
  putNow(samples: readonly MetricSample[]): void {
    const touched = new Set<string>();
    for (const sample of samples) {
      const list = this.samples.get(sample.name) ?? [];
      // Keep time order; bots put near `now`, so the insertion point is almost always the end.
      let i = list.length;
      while (i > 0 && (list[i - 1]?.timestamp ?? 0) > sample.timestamp) i--;
      list.splice(i, 0, sample);
      this.samples.set(sample.name, list);
      for (const record of this.alarms.values()) {
        if (
          metricNames(record.definition).includes(sample.name) &&
          dimensionsMatch(record.definition.dimensions, sample.dimensions)
        ) {
          touched.add(record.definition.name);
        }
      }
    }
    this.prune();
    for (const name of touched) this.evaluate(name);
  }

  /** Evaluates period boundaries on the clock, so missing data (e.g. traffic stopped) changes states too. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.armTimers();
  }

  stop(): void {
    this.running = false;
    for (const timer of this.timers.values()) timer.cancel();
    this.timers.clear();
  }

  /** Resolves once every listener started so far has finished (tests, bench). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  alarmState(name: string): AlarmState | undefined {
    return this.alarms.get(name)?.state;
  }

  alarmHistory(name: string): readonly AlarmTransition[] {
    return this.alarms.get(name)?.history ?? [];
  }

  /** Re-evaluates every alarm now (also what the period timers do). */
  evaluateAll(): void {
    for (const name of this.alarms.keys()) this.evaluate(name);
  }

  /** The alarm's period values for periods starting in [from, to). */
  datapoints(definition: AlarmDefinition, from: number, to: number): Datapoint[] {
    const periodMs = definition.periodSeconds * 1000;
    const out: Datapoint[] = [];
    for (let start = Math.floor(from / periodMs) * periodMs; start < to; start += periodMs) {
      out.push(this.datapoint(definition, start));
    }
    return out;
  }

  /** Raw samples of a metric in [from, to) whose dimensions include `dimensions`. */
  query(name: string, dimensions: Dimensions, from: number, to: number): MetricSample[] {
    return (this.samples.get(name) ?? []).filter(
      (s) => s.timestamp >= from && s.timestamp < to && dimensionsMatch(dimensions, s.dimensions),
    );
  }

  async readEvidence(q: EvidenceQuery): Promise<WindowEvidence> {
    const dimensions = { service: q.service, environment: q.environment };
    const alarms: AlarmEvidence[] = [...this.alarms.values()]
      .filter((r) => r.definition.service === q.service && r.definition.environment === q.environment)
      .map((r) => {
        const before = r.history.filter((t) => t.at < q.start).at(-1);
        return {
          name: r.definition.name,
          signal: r.definition.signal,
          comparison: r.definition.comparison,
          threshold: r.definition.threshold,
          unit: r.definition.unit,
          periodSeconds: r.definition.periodSeconds,
          evaluationPeriods: r.definition.evaluationPeriods,
          datapointsToAlarm: r.definition.datapointsToAlarm,
          stateAtStart: before?.to ?? 'INSUFFICIENT_DATA',
          transitions: r.history.filter((t) => t.at >= q.start && t.at < q.end),
          datapoints: this.datapoints(r.definition, q.start, q.end),
        };
      });
    return { alarms, botSamples: this.query(METRIC.requests, dimensions, q.start, q.end).length };
  }

  private datapoint(definition: AlarmDefinition, periodStart: number): Datapoint {
    const end = periodStart + definition.periodSeconds * 1000;
    const values = (name: string) =>
      this.query(name, definition.dimensions, periodStart, end).map((s) => s.value);
    const metric = definition.metric;
    if (metric.kind === 'ratioPercent') {
      const denominator = values(metric.denominator);
      const numerator = values(metric.numerator);
      const total = computeStatistic(denominator, 'Sum');
      // No requests in the period: the expression has no value, a missing datapoint (not 0 %).
      if (total === undefined || total === 0) return { periodStart, samples: 0 };
      return {
        periodStart,
        value: (100 * (computeStatistic(numerator, 'Sum') ?? 0)) / total,
        samples: denominator.length,
      };
    }
    const raw = values(metric.metricName);
    const value = computeStatistic(raw, metric.statistic);
    return value === undefined ? { periodStart, samples: 0 } : { periodStart, value, samples: raw.length };
  }

  private evaluate(name: string): void {
    const record = this.alarms.get(name);
    if (record === undefined) return;
    const d = record.definition;
    const now = this.clock.now();
    const periodMs = d.periodSeconds * 1000;
    const current = Math.floor(now / periodMs) * periodMs;
    const currentPoint = this.datapoint(d, current);
    // CloudWatch may evaluate the latest, still partial period. We count it only for upper-bound alarms
    // and only once it has data: a failing request breaches at once, while a floor (traffic) is not
    // breached by a period that has merely just begun.
    const upperBound = d.comparison.startsWith('Greater');
    const newest = upperBound && currentPoint.value !== undefined ? current : current - periodMs;
    const range: Datapoint[] = [];
    for (let i = d.evaluationPeriods - 1; i >= 0; i--) {
      const start = newest - i * periodMs;
      range.push(start === current ? currentPoint : this.datapoint(d, start));
    }
    const evaluation = evaluateAlarm(d, range, record.state);
    if (evaluation.state === record.state) return;
    const transition: AlarmTransition = {
      at: now,
      from: record.state,
      to: evaluation.state,
      reason: evaluation.reason,
      datapoints: range,
    };
    record.state = evaluation.state;
    record.history.push(transition);
    if (record.history.length > 1000) record.history.splice(0, record.history.length - 1000);
    this.emit({
      alarmName: d.name,
      service: d.service,
      environment: d.environment,
      signal: d.signal,
      previousState: transition.from,
      state: transition.to,
      at: now,
      reason: transition.reason,
      datapoints: range,
    });
  }

  private emit(change: AlarmStateChange): void {
    for (const listener of this.listeners) {
      try {
        const result = listener(change);
        if (result instanceof Promise) {
          const tracked: Promise<void> = result
            .catch(this.onListenerError)
            .finally(() => this.inFlight.delete(tracked));
          this.inFlight.add(tracked);
        }
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }

  private armTimers(): void {
    const periods = new Set([...this.alarms.values()].map((r) => r.definition.periodSeconds * 1000));
    for (const periodMs of periods) {
      if (this.timers.has(periodMs)) continue;
      const arm = () => {
        const now = this.clock.now();
        const next = (Math.floor(now / periodMs) + 1) * periodMs;
        this.timers.set(
          periodMs,
          this.clock.setTimer(next - now, () => {
            if (!this.running) return;
            for (const record of this.alarms.values()) {
              if (record.definition.periodSeconds * 1000 === periodMs) this.evaluate(record.definition.name);
            }
            arm();
          }),
        );
      };
      arm();
    }
  }

  private prune(): void {
    const oldest = this.clock.now() - this.retentionMs;
    for (const list of this.samples.values()) {
      let drop = 0;
      while (drop < list.length && (list[drop]?.timestamp ?? 0) < oldest) drop++;
      if (drop > 0) list.splice(0, drop);
    }
  }
}

function metricNames(d: AlarmDefinition): string[] {
  return d.metric.kind === 'ratioPercent'
    ? [d.metric.numerator, d.metric.denominator]
    : [d.metric.metricName];
}
