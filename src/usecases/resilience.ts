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

/**
 * Creates something that Azure DevOps cannot create idempotently (a run, a release) at most
 * once: when an earlier attempt may have sent the request (`previouslyDispatched`), or this
 * attempt's request failed ambiguously, look for what it may have created and adopt it.
 */
export async function createOnce<T>(options: {
  readonly previouslyDispatched: boolean;
  readonly findExisting: () => Promise<T | undefined>;
  readonly create: () => Promise<T>;
  readonly retry?: RetryOptions | undefined;
}): Promise<{ readonly value: T; readonly adopted: boolean }> {
  const { findExisting, create, retry } = options;
  if (options.previouslyDispatched) {
    const earlier = await withRetries(findExisting, retry);
    if (earlier !== undefined) return { value: earlier, adopted: true };
  }
  let adopted = false;
  const value = await withRetries(async ({ afterAmbiguousFailure }) => {
    if (afterAmbiguousFailure) {
      const existing = await findExisting();
      if (existing !== undefined) {
        adopted = true;
        return existing;
      }
    }
    return create();
  }, retry);
  return { value, adopted };
}

/** How far back to look for what an unanswered request may have created (clock skew, queueing). */
const RECONCILE_LOOKBACK_MS = 10 * 60_000;

/** The earliest queue time a run or release sent at `dispatchedAt` can carry. */
export function reconcileSince(dispatchedAt: string): string {
  return new Date(Date.parse(dispatchedAt) - RECONCILE_LOOKBACK_MS).toISOString();
}
