/** Waiting on conditions with deadlines, for the tools and the tests: no fixed sleeps anywhere. */

export class WaitTimeoutError extends Error {
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly lastSeen: string | undefined,
  ) {
    super(
      `Timed out after ${(timeoutMs / 1000).toFixed(1)} s: ${what} did not happen` +
        (lastSeen === undefined ? '' : ` (last seen: ${lastSeen})`),
    );
    this.name = 'WaitTimeoutError';
  }
}

export interface WaitOptions {
  /** What is awaited, in words: "a build of model demo 1.0.0". Used in the timeout error. */
  readonly what: string;
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /** Describes the state seen last, for the timeout error (e.g. the flow's status). */
  readonly lastSeen?: () => string | undefined;
  /** Stops waiting at once, failing with the signal's reason (e.g. the process waited on has exited). */
  readonly signal?: AbortSignal;
}

/**
 * Polls `check` until it returns a value other than `undefined` or `false`, or the
 * deadline passes. Errors thrown by `check` count as "not yet" and are reported on timeout.
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: WaitOptions,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const intervalMs = options.intervalMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  let lastError: string | undefined;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() >= deadline) {
      const seen = options.lastSeen?.() ?? lastError;
      throw new WaitTimeoutError(options.what, timeoutMs, seen);
    }
    await delay(Math.min(intervalMs, Math.max(0, deadline - Date.now())), options.signal);
  }
}

/** A timer-based pause for pollers (not a wait on a condition). */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
