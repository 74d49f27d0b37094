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
