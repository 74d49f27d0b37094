/**
 * Infrastructure failures, thrown with a stable `code` so callers (and the Functions
 * platform's retry) can tell transient trouble from a permanent refusal. Expected
 * outcomes (skips, duplicates, waiting flows) are returned as data, never thrown.
 */

export type InfrastructureErrorCode =
  | 'ADO_THROTTLED'
  | 'ADO_UNAVAILABLE'
  | 'ADO_TIMEOUT'
  | 'ADO_AUTH_FAILED'
  | 'ADO_REJECTED'
  | 'ADO_NOT_FOUND'
  | 'STORAGE_UNAVAILABLE'
  | 'LEDGER_CONFLICT'
  | 'MODEL_UNREADABLE'
  /** The flow events topic refused a batch or did not answer (the events stay pending). */
  | 'EVENTS_UNAVAILABLE'
  /** A model blob is still being copied (CopyBlob on a hierarchical-namespace account). */
  | 'MODEL_INCOMPLETE';

export class InfrastructureError extends Error {
  constructor(
    readonly code: InfrastructureErrorCode,
    message: string,
    readonly details: {
      /** Whether trying again later can succeed. */
      readonly transient: boolean;
      readonly status?: number;
      /** Seconds the service asked us to wait before retrying (429 Retry-After). */
      readonly retryAfterSeconds?: number;
      /** The request may have been carried out even though no answer came back. */
      readonly ambiguous?: boolean;
      readonly cause?: unknown;
    },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'InfrastructureError';
  }

  get transient(): boolean {
    return this.details.transient;
  }
}

export function isInfrastructureError(value: unknown): value is InfrastructureError {
  return value instanceof InfrastructureError;
}

/**
 * The one retry policy: only an infrastructure failure that says trying again later can
 * succeed is worth a retry (by the Azure DevOps retry loop, the queue, or Event Grid).
 * Anything else — a refusal, bad credentials, a programming error — fails at once.
 */
export function isRetryable(error: unknown): boolean {
  return error instanceof InfrastructureError && error.transient;
}

/** A message safe to log or return: never a stack, never a nested cause. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return 'Unknown error';
}

/** The budget ran out before a request was sent: transient, like any timeout. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted === true)
    throw new InfrastructureError('ADO_TIMEOUT', `${what}: the time allowed ran out`, { transient: true });
}
