/**
 * Time, injected. Bots, the local metric store, the scheduler and the windows all read the time through
 * a `Clock`, so tests run in virtual time (`ManualClock`) and demos run faster than real time
 * (`ScaledClock`) without changing the decisions.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Calls `fn` once `ms` milliseconds of this clock's time have passed. */
  setTimer(ms: number, fn: () => void): TimerHandle;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const id = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(id) };
  },
};

/**
 * Clock time runs `scale` times faster than wall time from `startAt`: with scale 60 one minute of alarm
 * periods passes in one second, so a 60-second period alarm works in a test that takes seconds.
 */
export class ScaledClock implements Clock {
  private readonly wallStart = Date.now();
  constructor(
    readonly scale: number,
    private readonly startAt: number = Date.now(),
  ) {
    if (!(scale > 0)) throw new RangeError(`time scale must be > 0, got ${scale}`);
  }
  now(): number {
    return this.startAt + (Date.now() - this.wallStart) * this.scale;
  }
  setTimer(ms: number, fn: () => void): TimerHandle {
    const id = setTimeout(fn, Math.max(0, ms / this.scale));
    return { cancel: () => clearTimeout(id) };
  }
}

interface PendingTimer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** Virtual time that only moves when `advance` is called; timers fire in time order. */
export class ManualClock implements Clock {
  private timers: PendingTimer[] = [];
  private seq = 0;
  constructor(private current = 0) {}
  now(): number {
    return this.current;
  }
  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer: PendingTimer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }
  /** Moves time forward by `ms`, firing every due timer at its own time (timers may add timers). */
  advance(ms: number): void {
    this.advanceTo(this.current + ms);
  }
  advanceTo(target: number): void {
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.current = Math.max(this.current, due.at);
      due.fn();
    }
    this.current = Math.max(this.current, target);
  }
  /** Number of timers still waiting (tests use it to check that stop() cleared everything). */
  get pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}
