/**
 * The twin's time: the handlers read `Date.now()` and sleep with `setTimeout` (systemClock, the
 * waiters), and Step Functions' timeouts are timers too, so the twin scales the process's clock itself,
 * like the local platform's `--time-scale`: with scale 20 a 90-second window passes in 4.5 s of wall
 * time. `performance.now()` is not scaled: bots time a service's latency in wall time, as on AWS.
 */
import { TwinSetupError } from './errors.ts';

const realDate = Date;
const realSetTimeout = globalThis.setTimeout;
const realSetInterval = globalThis.setInterval;

let installed: { scale: number; wallStart: number; start: number } | undefined;

function scaledNow(): number {
  if (!installed) return realDate.now();
  return Math.floor(installed.start + (realDate.now() - installed.wallStart) * installed.scale);
}

/** Runs the process's clock `scale` times faster from now on; returns the function that undoes it. */
export function installScaledTime(scale: number): () => void {
  if (!(scale >= 1)) throw new RangeError(`time scale must be >= 1, got ${scale}`);
  if (installed) throw new TwinSetupError('the twin clock is already scaled');
  if (scale === 1) return () => {};
  installed = { scale, wallStart: realDate.now(), start: realDate.now() };
  const s = scale;
  // A Date whose "now" is scaled; every other constructor form is the real one.
  class ScaledDate extends realDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(scaledNow());
      else super(...(args as [string]));
    }
    static override now(): number {
      return scaledNow();
    }
  }
  globalThis.Date = ScaledDate as DateConstructor;
  globalThis.setTimeout = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) =>
    realSetTimeout(fn, Math.max(0, (ms ?? 0) / s), ...args)) as typeof setTimeout;
  globalThis.setInterval = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) =>
    realSetInterval(fn, Math.max(1, (ms ?? 0) / s), ...args)) as typeof setInterval;
  return () => {
    globalThis.Date = realDate;
    globalThis.setTimeout = realSetTimeout;
    globalThis.setInterval = realSetInterval;
    installed = undefined;
  };
}

/** Wall-time sleep, for the twin's own pacing (never scaled). */
export function wallSleep(ms: number): Promise<void> {
  return new Promise((resolve) => realSetTimeout(resolve, ms));
}
