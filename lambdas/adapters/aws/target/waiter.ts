import { WaiterTimeoutError } from './errors.ts';

/** How long a waiter polls: `maxAttempts` describe calls, `delayMs` apart. */
export interface WaitBudget {
  readonly delayMs: number;
  readonly maxAttempts: number;
}

export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** One poll: `done` ends the wait with `value`; otherwise `state` is reported if the budget runs out. */
export type PollResult<T> =
  | { readonly done: true; readonly value: T }
  | { readonly done: false; readonly state: string };

/**
 * Polls until `poll` says done, at most `budget.maxAttempts` times. Our own loop rather than the SDK's
 * `waitUntil*` so the sleep is injectable (tests never wait) and the timeout is a typed, named error.
 * `poll` may throw to fail at once (e.g. an image in state `failed`).
 */
export async function waitFor<T>(
  waiter: string,
  budget: WaitBudget,
  sleep: Sleep,
  poll: () => Promise<PollResult<T>>,
): Promise<T> {
  let lastState = 'not polled';
  for (let attempt = 1; attempt <= budget.maxAttempts; attempt++) {
    const result = await poll();
    if (result.done) return result.value;
    lastState = result.state;
    if (attempt < budget.maxAttempts) await sleep(budget.delayMs);
  }
  throw new WaiterTimeoutError(waiter, budget.maxAttempts, lastState);
}
