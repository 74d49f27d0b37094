import '../app/setup.js';
// @azure/functions is a CommonJS bundle whose exports Node's ESM loader cannot name: default-import it.
import functions from '@azure/functions';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { FLOW_POISON_QUEUE } from '../app/flowQueue.js';
import type { FunctionDefinition } from '../app/functionDefinition.js';
import { getApp } from '../app/services.js';
import { isInfrastructureError } from '../errors.js';
import { invocationLogger } from '../app/invocationLogger.js';
import { json, problem, unavailable } from '../http/responses.js';

const MAX_REPLAY = 1000;

/**
 * `POST /api/ops/replay-poison?limit=N` (admin key): puts messages that exhausted their
 * deliveries back on the work queue. The worker reconciles before it acts, so a replay
 * never starts a second run for a flow whose run exists.
 */
export async function replayPoisonHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const limitText = request.query.get('limit') ?? '100';
  if (!/^\d{1,4}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > MAX_REPLAY) {
    return problem(
      400,
      'QUERY_INVALID',
      `limit must be a whole number from 1 to ${MAX_REPLAY}.`,
      context.invocationId,
    );
  }
  const app = await getApp();
  let result;
  try {
    result = await app.replayPoison(Number(limitText));
  } catch (error) {
    if (!isInfrastructureError(error)) throw error;
    invocationLogger(context).error('Replay failed', { code: error.code, error: error.message });
    return unavailable('The queue', error.code, context.invocationId);
  }
  invocationLogger(context).info('Poison messages replayed', { ...result, queue: FLOW_POISON_QUEUE });
  return json(200, result);
}

export const replayPoison = {
  kind: 'http',
  name: 'replayPoison',
  // Routes under /admin are the host's own; this one needs the host's admin (master) key.
  options: {
    methods: ['POST'],
    authLevel: 'admin',
    route: 'ops/replay-poison',
    handler: replayPoisonHandler,
  },
} as const satisfies FunctionDefinition;

functions.app.http(replayPoison.name, replayPoison.options);
