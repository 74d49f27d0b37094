/**
 * Small in-test stand-ins for the ports the use cases run on, for tests that need no storage and
 * no Azure DevOps: a logger that keeps its lines, a fake clock's time, and fake fault values.
 * The flow ledger is the app's own `InMemoryFlowLedger` (it passes the ledger contract).
 */
import { vi } from 'vitest';
import { InfrastructureError, type InfrastructureErrorCode } from '../../src/errors.js';
import type { Logger } from '../../src/ports/logger.js';

export interface LoggedLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly properties: Readonly<Record<string, unknown>>;
}

/** A logger that keeps every line, for tests to read. */
export function recordingLogger(): Logger & { readonly lines: LoggedLine[] } {
  const lines: LoggedLine[] = [];
  const line =
    (level: LoggedLine['level']) =>
    (message: string, properties: Readonly<Record<string, unknown>> = {}): void => {
      lines.push({ level, message, properties });
    };
  return { lines, info: line('info'), warn: line('warn'), error: line('error') };
}

/** What a call to Azure DevOps can fail with, as the adapters throw it. */
export const failures = {
  unavailable: (): InfrastructureError =>
    new InfrastructureError('ADO_UNAVAILABLE', 'Azure DevOps answered 503', { transient: true, status: 503 }),
  throttled: (retryAfterSeconds: number): InfrastructureError =>
    new InfrastructureError('ADO_THROTTLED', 'Azure DevOps answered 429', {
      transient: true,
      status: 429,
      retryAfterSeconds,
    }),
  /** No answer came back: the request may have been carried out. */
  noAnswer: (): InfrastructureError =>
    new InfrastructureError('ADO_TIMEOUT', 'Request timeout: no answer', {
      transient: true,
      ambiguous: true,
    }),
  refused: (code: InfrastructureErrorCode = 'ADO_REJECTED'): InfrastructureError =>
    new InfrastructureError(code, 'Azure DevOps answered 400', { transient: false, status: 400 }),
};

/**
 * Runs `work` on vitest's fake timers, firing each timer when it comes due, until it settles:
 * retries, backoffs and budgets of minutes take no real time. Answers how it ended and how much
 * time passed on the fake clock.
 */
export async function onFakeTime<T>(
  work: () => Promise<T>,
): Promise<{ readonly outcome: PromiseSettledResult<T>; readonly elapsedMs: number }> {
  const started = Date.now();
  const settled: { outcome?: PromiseSettledResult<T> } = {};
  void work().then(
    (value) => (settled.outcome = { status: 'fulfilled', value }),
    (reason: unknown) => (settled.outcome = { status: 'rejected', reason }),
  );
  for (let steps = 0; ; steps++) {
    await vi.advanceTimersToNextTimerAsync();
    if (settled.outcome !== undefined) return { outcome: settled.outcome, elapsedMs: Date.now() - started };
    if (steps > 10_000) throw new Error('onFakeTime: the work never settled');
  }
}

/** The value of a fulfilled outcome; fails the test with the reason of a rejected one. */
export function valueOf<T>(outcome: PromiseSettledResult<T>): T {
  if (outcome.status === 'rejected') throw new Error('expected success', { cause: outcome.reason });
  return outcome.value;
}

/** The reason of a rejected outcome; fails the test when it succeeded. */
export function reasonOf(outcome: PromiseSettledResult<unknown>): unknown {
  if (outcome.status === 'fulfilled') throw new Error('expected a failure, got success');
  return outcome.reason;
}
