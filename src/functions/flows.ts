import '../app/setup.js';
// @azure/functions is a CommonJS bundle whose exports Node's ESM loader cannot name: default-import it.
import functions from '@azure/functions';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { FunctionDefinition } from '../app/functionDefinition.js';
import { getApp } from '../app/services.js';
import { isFlowId } from '../core/flowId.js';
import { isInfrastructureError } from '../errors.js';
import { invocationLogger } from '../app/invocationLogger.js';
import { json, problem, unavailable } from '../http/responses.js';
import { flowView } from '../usecases/flowView.js';

const MAX_LIMIT = 100;

/**
 * Which model and which commit went through which build and release:
 *   GET /api/flows?limit=&continuationToken=   newest first
 *   GET /api/flows/current                      what was last sent to release
 *   GET /api/flows/{flowId}
 */
export async function flowsHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    return await readFlows(request, context);
  } catch (error) {
    if (!isInfrastructureError(error)) throw error;
    invocationLogger(context).error('Flows could not be read', { code: error.code, error: error.message });
    return unavailable('The flow ledger', error.code, context.invocationId);
  }
}

async function readFlows(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const correlationId = context.invocationId;
  const { flows: ledger } = await getApp();
  const flowId = request.params.flowId;

  if (flowId === undefined || flowId === '') {
    const limitText = request.query.get('limit') ?? '20';
    if (!/^\d{1,3}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > MAX_LIMIT) {
      return problem(
        400,
        'QUERY_INVALID',
        `limit must be a whole number from 1 to ${MAX_LIMIT}.`,
        correlationId,
      );
    }
    const token = request.query.get('continuationToken') ?? undefined;
    if (token !== undefined && (token.length > 2048 || !/^[\x21-\x7e]+$/.test(token))) {
      return problem(400, 'QUERY_INVALID', 'continuationToken is not one this API gave out.', correlationId);
    }
    const page = await ledger.listFlows({
      limit: Number(limitText),
      ...(token === undefined ? {} : { continuationToken: token }),
    });
    return json(200, {
      flows: page.flows.map(flowView),
      ...(page.continuationToken === undefined ? {} : { continuationToken: page.continuationToken }),
    });
  }

  if (flowId === 'current') {
    const last = (await ledger.readPointers())?.value.lastRelease;
    const flow = last === undefined ? undefined : await ledger.getFlow(last.flowId);
    if (flow === undefined) return problem(404, 'NOT_FOUND', 'Nothing has been released yet.', correlationId);
    return json(200, flowView(flow.value));
  }

  if (!isFlowId(flowId))
    return problem(400, 'FLOW_ID_INVALID', 'A flow id is 20 lower-case hex characters.', correlationId);
  const flow = await ledger.getFlow(flowId);
  if (flow === undefined) return problem(404, 'NOT_FOUND', `No flow ${flowId}.`, correlationId);
  return json(200, flowView(flow.value));
}

export const flows = {
  kind: 'http',
  name: 'flows',
  options: { methods: ['GET'], authLevel: 'function', route: 'flows/{flowId?}', handler: flowsHandler },
} as const satisfies FunctionDefinition;

functions.app.http(flows.name, flows.options);
