/**
 * Task tokens on one machine: the local engine's verify task awaits `wait(token)`, and the resumers
 * (alarm event, window end) settle it through the same `TaskTokenPort` the AWS adapter implements.
 */
import type { JsonValue } from '../shared/json.ts';
import type { Clock, TimerHandle } from './clock.ts';
import { TaskFailure, TaskTimedOutError, TaskTokenWaitingError } from './errors.ts';
import type { TaskTokenPort, TokenDelivery } from './window.ts';

interface Pending {
  resolve(output: JsonValue): void;
  reject(error: Error): void;
  timer?: TimerHandle;
}

export class LocalTaskTokens implements TaskTokenPort {
  private readonly pending = new Map<string, Pending>();

  /**
   * Waits for the token to be resumed. With `timeoutMs` it rejects with `States.Timeout` like a Task's
   * `TimeoutSeconds`, so the same Catch -> decide path runs locally.
   */
  wait(
    token: string,
    options: { readonly timeoutMs?: number; readonly clock?: Clock } = {},
  ): Promise<JsonValue> {
    if (this.pending.has(token)) return Promise.reject(new TaskTokenWaitingError(token));
    return new Promise<JsonValue>((resolve, reject) => {
      const entry: Pending = { resolve, reject };
      if (options.timeoutMs !== undefined && options.clock !== undefined) {
        entry.timer = options.clock.setTimer(options.timeoutMs, () => {
          if (this.pending.get(token) !== entry) return;
          this.pending.delete(token);
          reject(new TaskTimedOutError(`task ${token} timed out after ${options.timeoutMs} ms`));
        });
      }
      this.pending.set(token, entry);
    });
  }

  async succeed(token: string, output: JsonValue): Promise<TokenDelivery> {
    const entry = this.take(token);
    if (entry === undefined) return 'alreadyUsed';
    entry.resolve(output);
    return 'delivered';
  }

  async fail(token: string, error: string, cause: string): Promise<TokenDelivery> {
    const entry = this.take(token);
    if (entry === undefined) return 'alreadyUsed';
    entry.reject(new TaskFailure(error, cause));
    return 'delivered';
  }

  get waiting(): number {
    return this.pending.size;
  }

  private take(token: string): Pending | undefined {
    const entry = this.pending.get(token);
    if (entry === undefined) return undefined;
    this.pending.delete(token);
    entry.timer?.cancel();
    return entry;
  }
}
