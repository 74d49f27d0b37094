/**
 * The one retry policy for Azure DevOps calls (`withRetries`) and the at-most-once creation on
 * top of it (`createOnce`), on their own: in-test operations, fake timers (budgets of minutes
 * take no real time), the app's real settings (`DEFAULT_RETRY`).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InfrastructureError } from '../../src/errors.js';
import { createOnce, DEFAULT_RETRY, withRetries, type AttemptContext } from '../../src/usecases/retry.js';
import { failures, onFakeTime, reasonOf, recordingLogger, valueOf } from '../support/fakes.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** An operation that fails with each of `errors` in turn, then answers `value`; it records every call. */
function scripted<T>(errors: readonly Error[], value: T) {
  const calls: { readonly context: AttemptContext; readonly atMs: number }[] = [];
  const started = Date.now();
  const operation = (context: AttemptContext): Promise<T> => {
    calls.push({ context, atMs: Date.now() - started });
    const error = errors[calls.length - 1];
    return error === undefined ? Promise.resolve(value) : Promise.reject(error);
  };
  return { calls, operation };
}

const retries = (logger: ReturnType<typeof recordingLogger>) =>
  logger.lines.filter((line) => line.message === 'Azure DevOps call failed; retrying');

describe('withRetries', () => {
  it('retries transient failures until the call succeeds, logging each retry with its cause and delay', async () => {
    const logger = recordingLogger();
    const { calls, operation } = scripted([failures.unavailable(), failures.unavailable()], 'run 7');
    const { outcome } = await onFakeTime(() => withRetries('start run', operation, { logger }));
    expect(valueOf(outcome)).toBe('run 7');
    expect(calls.map((call) => call.context.attempt)).toEqual([0, 1, 2]);
    const logged = retries(logger);
    expect(logged.map((line) => line.properties)).toEqual([
      {
        operation: 'start run',
        attempt: 1,
        delayMs: expect.any(Number),
        error: 'InfrastructureError: Azure DevOps answered 503',
        code: 'ADO_UNAVAILABLE',
      },
      expect.objectContaining({ operation: 'start run', attempt: 2, code: 'ADO_UNAVAILABLE' }),
    ]);
    // Exponential backoff with full jitter: the n-th wait is at most base × 2^(n-1).
    logged.forEach((line, index) => {
      expect(line.properties.delayMs).toBeGreaterThanOrEqual(0);
      expect(line.properties.delayMs).toBeLessThanOrEqual(DEFAULT_RETRY.baseDelayMs * 2 ** index);
    });
    expect(logged.every((line) => line.level === 'warn')).toBe(true);
  });

  it('stops at once on a permanent failure, and on an error that is not an infrastructure failure', async () => {
    for (const error of [failures.refused(), failures.refused('ADO_AUTH_FAILED'), new TypeError('a bug')]) {
      const logger = recordingLogger();
      const { calls, operation } = scripted([error], 'never');
      const { outcome } = await onFakeTime(() => withRetries('start run', operation, { logger }));
      expect(reasonOf(outcome)).toBe(error);
      expect(calls).toHaveLength(1);
      expect(retries(logger)).toEqual([]);
    }
  });

  it('gives up after maxAttempts tries with the last transient failure', async () => {
    const logger = recordingLogger();
    const last = failures.unavailable();
    const errors = [...Array.from({ length: DEFAULT_RETRY.maxAttempts - 1 }, failures.unavailable), last];
    const { calls, operation } = scripted(errors, 'never');
    const { outcome } = await onFakeTime(() => withRetries('start run', operation, { logger }));
    expect(reasonOf(outcome)).toBe(last);
    expect(calls).toHaveLength(DEFAULT_RETRY.maxAttempts);
    expect(retries(logger)).toHaveLength(DEFAULT_RETRY.maxAttempts - 1);
  });

  it("honours a 429's Retry-After up to maxRetryAfterMs, exactly rather than with jitter", async () => {
    const logger = recordingLogger();
    const seconds = DEFAULT_RETRY.maxRetryAfterMs / 1000;
    const { calls, operation } = scripted([failures.throttled(3), failures.throttled(seconds)], 'run 8');
    const { outcome } = await onFakeTime(() => withRetries('start run', operation, { logger }));
    expect(valueOf(outcome)).toBe('run 8');
    expect(retries(logger).map((line) => line.properties.delayMs)).toEqual([
      3_000,
      DEFAULT_RETRY.maxRetryAfterMs,
    ]);
    expect(calls.map((call) => call.atMs)).toEqual([0, 3_000, 3_000 + DEFAULT_RETRY.maxRetryAfterMs]);
  });

  it('does not wait out a Retry-After longer than maxRetryAfterMs: the queue retries later', async () => {
    const logger = recordingLogger();
    const tooLong = failures.throttled(DEFAULT_RETRY.maxRetryAfterMs / 1000 + 1);
    const { calls, operation } = scripted([tooLong], 'never');
    const { outcome, elapsedMs } = await onFakeTime(() => withRetries('start run', operation, { logger }));
    expect(reasonOf(outcome)).toBe(tooLong);
    expect(calls).toHaveLength(1);
    expect(elapsedMs).toBe(0);
    expect(retries(logger)).toEqual([]);
  });

  it('tells each later try that an earlier one may have been carried out (an ambiguous failure)', async () => {
    const logger = recordingLogger();
    const { calls, operation } = scripted(
      [failures.unavailable(), failures.noAnswer(), failures.unavailable()],
      'run 9',
    );
    const { outcome } = await onFakeTime(() => withRetries('start run', operation, { logger }));
    expect(valueOf(outcome)).toBe('run 9');
    expect(calls.map((call) => call.context.afterAmbiguousFailure)).toEqual([false, false, true, true]);
  });

  it('ends with a transient ADO_TIMEOUT when the whole budget runs out, and aborts the calls in flight', async () => {
    const logger = recordingLogger();
    const signals: AbortSignal[] = [];
    const { outcome, elapsedMs } = await onFakeTime(() =>
      withRetries(
        'start run',
        ({ abortSignal }) => {
          signals.push(abortSignal);
          return Promise.reject(failures.unavailable());
        },
        { logger, retry: { maxAttempts: 1_000 } },
      ),
    );
    const error = reasonOf(outcome);
    expect(error).toBeInstanceOf(InfrastructureError);
    expect(error).toMatchObject({ code: 'ADO_TIMEOUT', transient: true });
    expect(elapsedMs).toBeGreaterThanOrEqual(DEFAULT_RETRY.maxTotalMs);
    expect(elapsedMs).toBeLessThanOrEqual(DEFAULT_RETRY.maxTotalMs + DEFAULT_RETRY.maxDelayMs);
    expect(signals.at(-1)?.aborted).toBe(true);
    expect(signals.length).toBeLessThan(1_000);
  });
});

describe('createOnce', () => {
  /** A thing Azure DevOps creates (a run), and what it already has. */
  function azureDevOps(
    options: { readonly existing?: string; readonly createFailures?: readonly Error[] } = {},
  ) {
    const calls: string[] = [];
    const createFailures = [...(options.createFailures ?? [])];
    let existing = options.existing;
    return {
      calls,
      findExisting: (): Promise<string | undefined> => {
        calls.push('find');
        return Promise.resolve(existing);
      },
      create: (): Promise<string> => {
        calls.push('create');
        const failure = createFailures.shift();
        // A request that failed without an answer may still have been carried out.
        if (failure instanceof InfrastructureError && failure.details.ambiguous === true) existing = 'run 1';
        return failure === undefined ? Promise.resolve('run 2') : Promise.reject(failure);
      },
    };
  }

  async function run(
    ado: ReturnType<typeof azureDevOps>,
    previouslyDispatched: boolean,
  ): Promise<PromiseSettledResult<{ readonly value: string; readonly adopted: boolean }>> {
    const { outcome } = await onFakeTime(() =>
      createOnce({
        what: 'build of flow f',
        previouslyDispatched,
        findExisting: ado.findExisting,
        create: ado.create,
        logger: recordingLogger(),
      }),
    );
    return outcome;
  }

  it('creates without looking first when no earlier attempt sent the request', async () => {
    const ado = azureDevOps({ existing: 'run 1' });
    expect(valueOf(await run(ado, false))).toEqual({ value: 'run 2', adopted: false });
    expect(ado.calls).toEqual(['create']);
  });

  it('adopts what an earlier attempt created instead of creating it again', async () => {
    const ado = azureDevOps({ existing: 'run 1' });
    expect(valueOf(await run(ado, true))).toEqual({ value: 'run 1', adopted: true });
    expect(ado.calls).toEqual(['find']);
  });

  it('creates when an earlier attempt sent the request but nothing came of it', async () => {
    const ado = azureDevOps();
    expect(valueOf(await run(ado, true))).toEqual({ value: 'run 2', adopted: false });
    expect(ado.calls).toEqual(['find', 'create']);
  });

  it('after a request that got no answer, looks before sending again, and adopts what it created', async () => {
    const ado = azureDevOps({ createFailures: [failures.noAnswer()] });
    expect(valueOf(await run(ado, false))).toEqual({ value: 'run 1', adopted: true });
    expect(ado.calls).toEqual(['create', 'find']);
  });

  it('after a failure that was an answer (503), sends again without looking', async () => {
    const ado = azureDevOps({ createFailures: [failures.unavailable()] });
    expect(valueOf(await run(ado, false))).toEqual({ value: 'run 2', adopted: false });
    expect(ado.calls).toEqual(['create', 'create']);
  });

  it('does not retry a permanent refusal', async () => {
    const refused = failures.refused();
    const ado = azureDevOps({ createFailures: [refused] });
    expect(reasonOf(await run(ado, false))).toBe(refused);
    expect(ado.calls).toEqual(['create']);
  });
});
