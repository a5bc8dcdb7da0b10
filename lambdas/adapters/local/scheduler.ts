/**
 * The local stand-in for EventBridge Scheduler: runs each (service, environment, scenario) at its rate
 * and fires one-time window-end schedules. Time comes from the injected clock; a `ScaledClock` makes a
 * 60-second period pass in a second for demos and tests.
 */
import {
  type BotRunDeps,
  type FetchLike,
  runScenario,
  type ScenarioResult,
} from '../../core/evidence/botRunner.ts';
import { type Clock, ScaledClock, type TimerHandle } from '../../core/evidence/clock.ts';
import type { MetricSink } from '../../core/evidence/metrics.ts';
import { type BotScenario, scenarioRate } from '../../core/evidence/spec.ts';
import type { WindowEndScheduler } from '../../core/evidence/window.ts';
import type { OpenWindow } from '../../core/evidence/windowStore.ts';

export interface BotSchedule {
  readonly service: string;
  /** The environment's name: which rate of the scenario applies. */
  readonly environment: string;
  /** The key its metrics are filed under (a run's own test environment: naming.ts). @default environment */
  readonly evidenceEnvironment?: string;
  readonly scenario: BotScenario;
  readonly baseUrl: string;
  /** Version deployed in the environment, read at each run (it changes with deploys). */
  readonly version: () => string;
}

export interface LocalSchedulerOptions {
  readonly clock: Clock;
  readonly fetch: FetchLike;
  readonly sink: MetricSink;
  readonly stopwatch?: () => number;
  readonly requestTimeoutMs?: number;
  readonly onResult?: (schedule: BotSchedule, result: ScenarioResult) => void;
  readonly onError?: (schedule: BotSchedule, error: unknown) => void;
}

interface Running {
  readonly schedule: BotSchedule;
  readonly intervalMs: number;
  timer?: TimerHandle;
  busy: boolean;
}

export class LocalScheduler {
  private readonly bots = new Map<string, Running>();
  private readonly windowTimers = new Set<TimerHandle>();
  private readonly inFlight = new Set<Promise<void>>();
  private running = false;
  /** Scenario runs started since construction. */
  runs = 0;

  constructor(private readonly options: LocalSchedulerOptions) {}

  /** A scheduler on a `ScaledClock`: `timeScale` clock seconds pass per wall second. */
  static withTimeScale(timeScale: number, options: Omit<LocalSchedulerOptions, 'clock'>): LocalScheduler {
    return new LocalScheduler({ ...options, clock: new ScaledClock(timeScale) });
  }

  get clock(): Clock {
    return this.options.clock;
  }

  /** Adds (or replaces) a bot schedule; scenarios with no rate in the environment are not scheduled. */
  addBot(schedule: BotSchedule): boolean {
    const key = JSON.stringify([
      schedule.service,
      schedule.evidenceEnvironment ?? schedule.environment,
      schedule.scenario.name,
    ]);
    this.removeKey(key);
    const rate = scenarioRate(schedule.scenario, schedule.environment);
    if (rate <= 0) return false;
    const entry: Running = { schedule, intervalMs: 60_000 / rate, busy: false };
    this.bots.set(key, entry);
    if (this.running) this.arm(entry);
    return true;
  }

  /** `environment`: the schedule's evidence key (its name unless it had one of its own). */
  removeBot(service: string, environment: string, scenario: string): void {
    this.removeKey(JSON.stringify([service, environment, scenario]));
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const entry of this.bots.values()) this.arm(entry);
  }

  /** Stops every timer and waits for runs in flight; nothing fires afterwards. */
  async stop(): Promise<void> {
    this.running = false;
    for (const entry of this.bots.values()) entry.timer?.cancel();
    for (const timer of this.windowTimers) timer.cancel();
    this.windowTimers.clear();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** One-time window-end schedules on this clock, calling `resume` (normally `resumeAtWindowEnd`). */
  windowEnds(resume: (window: OpenWindow) => Promise<unknown>): WindowEndScheduler {
    return {
      scheduleWindowEnd: async (window) => {
        const delay = Date.parse(window.endsAt) - this.options.clock.now();
        const timer = this.options.clock.setTimer(delay, () => {
          this.windowTimers.delete(timer);
          this.track(
            resume(window).then(
              () => undefined,
              (error: unknown) => console.error('window end failed', error),
            ),
          );
        });
        this.windowTimers.add(timer);
      },
    };
  }

  private arm(entry: Running): void {
    entry.timer = this.options.clock.setTimer(entry.intervalMs, () => {
      if (!this.running) return;
      this.arm(entry);
      // Bounded: a scenario still running when its next turn comes skips that turn, as a slow
      // target must not pile up bot runs.
      if (entry.busy) return;
      entry.busy = true;
      this.runs++;
      this.track(
        this.runOnce(entry.schedule).finally(() => {
          entry.busy = false;
        }),
      );
    });
  }

  private async runOnce(schedule: BotSchedule): Promise<void> {
    const deps: BotRunDeps = {
      fetch: this.options.fetch,
      clock: this.options.clock,
      sink: this.options.sink,
      ...(this.options.stopwatch === undefined ? {} : { stopwatch: this.options.stopwatch }),
      ...(this.options.requestTimeoutMs === undefined
        ? {}
        : { requestTimeoutMs: this.options.requestTimeoutMs }),
    };
    try {
      const result = await runScenario(
        schedule.scenario,
        {
          baseUrl: schedule.baseUrl,
          dimensions: {
            service: schedule.service,
            environment: schedule.evidenceEnvironment ?? schedule.environment,
            scenario: schedule.scenario.name,
            version: schedule.version(),
          },
        },
        deps,
      );
      this.options.onResult?.(schedule, result);
    } catch (error) {
      (this.options.onError ?? ((_s, e) => console.error('bot run failed', e)))(schedule, error);
    }
  }

  private track(promise: Promise<void>): void {
    const tracked = promise.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private removeKey(key: string): void {
    this.bots.get(key)?.timer?.cancel();
    this.bots.delete(key);
  }
}
