import { DelegateBackoff, handleWhen, retry, timeout, TimeoutStrategy, wrap } from 'cockatiel';
import { InfrastructureError } from '../errors.js';

export interface RetryOptions {
  /** Tries in all, the first included. */
  readonly maxAttempts?: number;
  /** First backoff; doubles each time, with full jitter. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Upper bound on the whole operation, retries and waits included. */
  readonly maxTotalMs?: number;
  /** The longest Retry-After we honour; a longer one ends this attempt (the queue retries later). */
  readonly maxRetryAfterMs?: number;
}

export const DEFAULT_RETRY: Required<RetryOptions> = {
  maxAttempts: 6,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  maxTotalMs: 90_000,
  maxRetryAfterMs: 30_000,
};

/**
 * Runs an Azure DevOps call with the app's retry policy: transient failures (throttling,
 * 5xx, timeouts, resets) are retried with exponential backoff and full jitter; a 429's
 * Retry-After is honoured. `operation` gets the attempt number and whether an earlier try
 * failed ambiguously (the request may have been carried out), so it can reconcile first.
 */
export async function withRetries<T>(
  operation: (context: { readonly attempt: number; readonly afterAmbiguousFailure: boolean }) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const settings = { ...DEFAULT_RETRY, ...options };
  const backoff = new DelegateBackoff<{ readonly attempt: number; readonly result: unknown }>((context) => {
    const failure = context.result;
    const error =
      typeof failure === 'object' && failure !== null && 'error' in failure ? failure.error : undefined;
    const retryAfter = error instanceof InfrastructureError ? error.details.retryAfterSeconds : undefined;
    if (retryAfter !== undefined) return Math.min(retryAfter * 1000, settings.maxRetryAfterMs);
    const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (context.attempt - 1));
    return Math.round(Math.random() * ceiling);
  });
  const retryPolicy = retry(
    handleWhen(
      (error) => error instanceof InfrastructureError && error.transient && !tooLongToWait(error, settings),
    ),
    { maxAttempts: settings.maxAttempts - 1, backoff },
  );
  const policy = wrap(timeout(settings.maxTotalMs, TimeoutStrategy.Cooperative), retryPolicy);
  let ambiguous = false;
  return policy.execute(async ({ attempt }) => {
    try {
      return await operation({ attempt, afterAmbiguousFailure: ambiguous });
    } catch (error) {
      if (error instanceof InfrastructureError && error.details.ambiguous === true) ambiguous = true;
      throw error;
    }
  });
}

function tooLongToWait(error: InfrastructureError, settings: Required<RetryOptions>): boolean {
  const retryAfter = error.details.retryAfterSeconds;
  return retryAfter !== undefined && retryAfter * 1000 > settings.maxRetryAfterMs;
}
