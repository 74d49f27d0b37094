import '../app/setup.js';
// @azure/functions is a CommonJS bundle whose exports Node's ESM loader cannot name: default-import it.
import functions from '@azure/functions';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { FunctionDefinition } from '../app/functionDefinition.js';
import { invocationLogger } from '../app/invocationLogger.js';
import { getApp } from '../app/services.js';
import { isFlowId } from '../core/flowId.js';
import { readPaging } from '../http/paging.js';
import { json, ledgerUnavailable, problem } from '../http/responses.js';
import { flowView } from '../usecases/flowView.js';

/**
 * Which model and which commit went through which build and release:
 *   GET /api/flows?limit=&continuationToken=   newest first
 *   GET /api/flows/{flowId}
 * (`GET /api/flows/current` is its own function: a literal route wins over `{flowId}`.)
 */
export async function flowsHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const correlationId = context.invocationId;
  const { flows } = await getApp();
  const flowId = request.params.flowId;
  try {
    if (flowId === undefined || flowId === '') {
      const paging = readPaging(request);
      if (!paging.ok) return problem(400, 'QUERY_INVALID', paging.problem, correlationId);
      const page = await flows.list(paging.limit, paging.continuationToken);
      return json(200, {
        flows: page.flows.map(flowView),
        ...(page.continuationToken === undefined ? {} : { continuationToken: page.continuationToken }),
      });
    }
    if (!isFlowId(flowId))
      return problem(400, 'FLOW_ID_INVALID', 'A flow id is 20 lower-case hex characters.', correlationId);
    const flow = await flows.get(flowId);
    if (flow === undefined) return problem(404, 'NOT_FOUND', `No flow ${flowId}.`, correlationId);
    return json(200, flowView(flow));
  } catch (error) {
    return ledgerUnavailable(error, invocationLogger(context), correlationId);
  }
}

export const flows = {
  kind: 'http',
  name: 'flows',
  options: { methods: ['GET'], authLevel: 'function', route: 'flows/{flowId?}', handler: flowsHandler },
} as const satisfies FunctionDefinition;

functions.app.http(flows.name, flows.options);
