import {
  DelegateBackoff,
  handleWhen,
  isTaskCancelledError,
  retry,
  timeout,
  TimeoutStrategy,
  wrap,
} from 'cockatiel';
import { describeError, InfrastructureError, isRetryable, throwIfAborted } from '../errors.js';
import type { Logger } from '../ports/logger.js';

export interface RetryOptions {
  /** Tries in all, the first included. */
  readonly maxAttempts?: number;
  /** First backoff; doubles each time, with full jitter. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Upper bound on the whole operation, retries and waits included (plus at most one request timeout). */
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

export interface AttemptContext {
  readonly attempt: number;
  /** An earlier try failed after its request may have been carried out: reconcile before sending again. */
  readonly afterAmbiguousFailure: boolean;
  /** Aborts when the whole operation's time is up: pass it to every request. */
  readonly abortSignal: AbortSignal;
}

/**
 * Runs an Azure DevOps call with the app's retry policy: what `isRetryable` accepts
 * (throttling, 5xx, timeouts, resets) is tried again with exponential backoff and full
 * jitter, a 429's Retry-After honoured; every retry is logged with its cause and delay.
 */
export async function withRetries<T>(
  what: string,
  operation: (context: AttemptContext) => Promise<T>,
  options: { readonly retry?: RetryOptions | undefined; readonly logger: Logger },
): Promise<T> {
  const settings = { ...DEFAULT_RETRY, ...options.retry };
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
    handleWhen((error) => isRetryable(error) && !tooLongToWait(error, settings)),
    { maxAttempts: settings.maxAttempts - 1, backoff },
  );
  const listener = retryPolicy.onRetry((event) => {
    options.logger.warn('Azure DevOps call failed; retrying', {
      operation: what,
      attempt: event.attempt,
      delayMs: Math.round(event.delay),
      ...('error' in event
        ? {
            error: describeError(event.error),
            ...(event.error instanceof InfrastructureError ? { code: event.error.code } : {}),
          }
        : {}),
    });
  });
  const policy = wrap(timeout(settings.maxTotalMs, TimeoutStrategy.Cooperative), retryPolicy);
  let ambiguous = false;
  try {
    return await policy.execute(async ({ attempt, signal }) => {
      try {
        throwIfAborted(signal, what);
        return await operation({ attempt, afterAmbiguousFailure: ambiguous, abortSignal: signal });
      } catch (error) {
        if (error instanceof InfrastructureError && error.details.ambiguous === true) ambiguous = true;
        throw error;
      }
    });
  } catch (error) {
    // The whole budget ran out: a transient failure like any timeout, for the queue to retry later.
    if (!isTaskCancelledError(error)) throw error;
    throw new InfrastructureError('ADO_TIMEOUT', `${what}: no success within ${settings.maxTotalMs} ms`, {
      transient: true,
      ambiguous,
      cause: error,
    });
  } finally {
    listener.dispose();
  }
}

function tooLongToWait(error: unknown, settings: Required<RetryOptions>): boolean {
  const retryAfter = error instanceof InfrastructureError ? error.details.retryAfterSeconds : undefined;
  return retryAfter !== undefined && retryAfter * 1000 > settings.maxRetryAfterMs;
}

/**
 * Creates something that Azure DevOps cannot create idempotently (a run, a release) at most
 * once: when an earlier attempt may have sent the request (`previouslyDispatched`), or this
 * attempt's request failed ambiguously, look for what it may have created and adopt it.
 */
export async function createOnce<T>(options: {
  readonly what: string;
  readonly previouslyDispatched: boolean;
  readonly findExisting: (abortSignal: AbortSignal) => Promise<T | undefined>;
  readonly create: (abortSignal: AbortSignal) => Promise<T>;
  readonly retry?: RetryOptions | undefined;
  readonly logger: Logger;
}): Promise<{ readonly value: T; readonly adopted: boolean }> {
  const { findExisting, create } = options;
  const retryOptions = { retry: options.retry, logger: options.logger };
  if (options.previouslyDispatched) {
    const earlier = await withRetries(
      `find ${options.what}`,
      ({ abortSignal }) => findExisting(abortSignal),
      retryOptions,
    );
    if (earlier !== undefined) return { value: earlier, adopted: true };
  }
  let adopted = false;
  const value = await withRetries(
    options.what,
    async ({ afterAmbiguousFailure, abortSignal }) => {
      if (afterAmbiguousFailure) {
        const existing = await findExisting(abortSignal);
        if (existing !== undefined) {
          adopted = true;
          return existing;
        }
      }
      return create(abortSignal);
    },
    retryOptions,
  );
  return { value, adopted };
}

/** How far back to look for what an unanswered request may have created (clock skew, queueing). */
const RECONCILE_LOOKBACK_MS = 10 * 60_000;

/** The earliest queue time a run or release sent at `dispatchedAt` can carry. */
export function reconcileSince(dispatchedAt: string): string {
  return new Date(Date.parse(dispatchedAt) - RECONCILE_LOOKBACK_MS).toISOString();
}
