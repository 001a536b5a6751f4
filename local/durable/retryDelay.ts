import type { WireRetryOptions } from './wireAction';

// Defaults of the extension's RetryOptions when the JavaScript options leave a field unset.
const DEFAULT_MAX_RETRY_INTERVAL_MS = 6 * 24 * 3_600_000;

/**
 * Delay before the next attempt, computed as the Durable Task Framework's RetryInterceptor does,
 * or undefined when the retry timeout has run out (the host then schedules no retry timer).
 * `failedAttempts` counts the failures so far, the one just seen included.
 */
export function retryDelay(options: WireRetryOptions, failedAttempts: number, firstAttemptAt: Date, now: Date): number | undefined {
  const timeout = options.retryTimeoutInMilliseconds;
  if (timeout !== undefined && now.getTime() >= firstAttemptAt.getTime() + timeout) return undefined;
  const delay = options.firstRetryIntervalInMilliseconds * (options.backoffCoefficient ?? 1) ** (failedAttempts - 1);
  return Math.min(delay, options.maxRetryIntervalInMilliseconds ?? DEFAULT_MAX_RETRY_INTERVAL_MS);
}
