import { isInfrastructureError } from '../errors.js';
import type { Logger } from '../ports/logger.js';
import type { HttpResponseInit } from '@azure/functions';

export function json(
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'cache-control': 'no-store', ...headers } };
}

/**
 * An error answer: a stable code, a message meant for the caller, and the invocation id
 * to find the log lines. Never a stack trace, never a secret.
 */
export function problem(
  status: number,
  code: string,
  message: string,
  correlationId: string,
  headers: Readonly<Record<string, string>> = {},
): HttpResponseInit {
  return json(status, { error: { code, message }, correlationId }, headers);
}

/** A transient storage failure, answered so clients retry: 503 with Retry-After and a correlation id. */
export function unavailable(what: string, code: string, correlationId: string): HttpResponseInit {
  return problem(503, code, `${what} is unavailable; try again shortly.`, correlationId, {
    'retry-after': '5',
  });
}

/**
 * The answer when the flow ledger could not be read: a logged 503 for an infrastructure failure
 * (storage is down: retry shortly); anything else is a bug and is thrown on.
 */
export function ledgerUnavailable(error: unknown, logger: Logger, correlationId: string): HttpResponseInit {
  if (!isInfrastructureError(error)) throw error;
  logger.error('Flows could not be read', { code: error.code, error: error.message });
  return unavailable('The flow ledger', error.code, correlationId);
}
