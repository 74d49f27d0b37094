import '../app/setup.js';
// @azure/functions is a CommonJS bundle whose exports Node's ESM loader cannot name: default-import it.
import functions from '@azure/functions';
import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import type { FunctionDefinition } from '../app/functionDefinition.js';
import { invocationLogger } from '../app/invocationLogger.js';
import { getApp } from '../app/services.js';
import { json, ledgerUnavailable, problem } from '../http/responses.js';
import { flowView } from '../usecases/flowView.js';

/** `GET /api/flows/current`: the flow of the build last sent to release (what is live, or about to be). */
export async function currentFlowHandler(
  _request: unknown,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const { flows } = await getApp();
  try {
    const flow = await flows.current();
    if (flow === undefined)
      return problem(404, 'NOT_FOUND', 'Nothing has been released yet.', context.invocationId);
    return json(200, flowView(flow));
  } catch (error) {
    return ledgerUnavailable(error, invocationLogger(context), context.invocationId);
  }
}

export const currentFlow = {
  kind: 'http',
  name: 'currentFlow',
  options: { methods: ['GET'], authLevel: 'function', route: 'flows/current', handler: currentFlowHandler },
} as const satisfies FunctionDefinition;

functions.app.http(currentFlow.name, currentFlow.options);
