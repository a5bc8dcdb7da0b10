/**
 * Which layer retries: this one. The WebClient is built with `retryConfig: { retries: 0 }` and
 * `rejectRateLimitedCalls: true`, so every Slack call is one HTTP attempt and a 429 surfaces as a
 * RateLimitedError carrying Retry-After. Retrying here keeps the policy in one place, bounded (the
 * WebClient's default is 10 retries over ~30 minutes, longer than a Lambda may run), and
 * deterministic in tests (sleep and jitter are injected).
 */
import { ErrorCode } from '@slack/web-api';
import { SlackCallFailedError, type SlackFailure } from './errors.ts';

export type { SlackFailure } from './errors.ts';

export interface RetryPolicy {
  /** Attempts per API call, the first included. */
  readonly maxAttempts: number;
  /** First backoff for 5xx / network errors, doubled each attempt. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the call counts as failed. */
  readonly maxRetryAfterMs: number;
  /**
   * Total waiting allowed across all calls of one delivery, so a delivery ends (sent or dead-lettered)
   * well inside the notifier Lambda's timeout (4 minutes in lib/).
   */
  readonly maxTotalWaitMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 16_000,
  maxRetryAfterMs: 60_000,
  maxTotalWaitMs: 150_000,
};

// Platform errors (HTTP 200, ok:false) that Slack documents as worth retrying.
const TRANSIENT_PLATFORM_ERRORS = new Set([
  'ratelimited',
  'internal_error',
  'service_unavailable',
  'fatal_error',
  'request_timeout',
]);

export function classifySlackError(error: unknown): SlackFailure {
  const e = error as {
    code?: string;
    retryAfter?: number;
    statusCode?: number;
    data?: { error?: string };
    message?: string;
  };
  const message = e?.message ?? String(error);
  switch (e?.code) {
    case ErrorCode.RateLimitedError:
      return { kind: 'rate-limited', retryAfterMs: Math.max(0, (e.retryAfter ?? 1) * 1000), message };
    case ErrorCode.HTTPError:
      return (e.statusCode ?? 0) >= 500 || e.statusCode === 408
        ? { kind: 'transient', message }
        : { kind: 'permanent', message };
    case ErrorCode.RequestError:
      return { kind: 'transient', message }; // connection refused / reset / timeout: Slack may be back soon
    case ErrorCode.PlatformError:
      return TRANSIENT_PLATFORM_ERRORS.has(e.data?.error ?? '')
        ? { kind: 'transient', message }
        : { kind: 'permanent', message };
    default:
      // e.g. a 429 without a usable Retry-After: WebClient throws a plain Error; back off and retry.
      return { kind: 'transient', message };
  }
}

export interface RetryDeps {
  readonly sleep: (ms: number) => Promise<void>;
  /** In [0, 1): jitter, injected so tests are deterministic. */
  readonly random: () => number;
  readonly onAttempt?: () => void;
  /** Waiting spent so far by this delivery; shared by its calls and updated here. */
  readonly waited?: { ms: number };
}

export async function callWithRetries<T>(
  call: () => Promise<T>,
  policy: RetryPolicy,
  deps: RetryDeps,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    deps.onAttempt?.();
    try {
      return await call();
    } catch (error) {
      const failure = classifySlackError(error);
      const last = attempt >= policy.maxAttempts;
      if (failure.kind === 'permanent' || last)
        throw new SlackCallFailedError(failure, attempt, { cause: error });
      let wait: number;
      if (failure.kind === 'rate-limited') {
        // Slack: wait at least Retry-After seconds before calling that method again.
        if (failure.retryAfterMs > policy.maxRetryAfterMs)
          throw new SlackCallFailedError(failure, attempt, { cause: error });
        wait = failure.retryAfterMs;
      } else {
        // Exponential backoff with "equal jitter": half fixed, half random, capped.
        const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
        wait = backoff / 2 + (backoff / 2) * deps.random();
      }
      const waited = deps.waited ?? { ms: 0 };
      if (waited.ms + wait > policy.maxTotalWaitMs)
        throw new SlackCallFailedError(failure, attempt, { cause: error });
      waited.ms += wait;
      await deps.sleep(wait);
    }
  }
}
