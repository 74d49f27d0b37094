// @azure/functions is a CommonJS bundle whose exports Node's ESM loader cannot name: default-import it.
import functions from '@azure/functions';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { FunctionDefinition } from '../app/functionDefinition.js';
import { getServices } from '../app/services.js';
import { isInfrastructureError } from '../errors.js';
import { contextLogger } from '../http/contextLogger.js';
import { problem, unavailable } from '../http/responses.js';
import { flowView } from '../usecases/flowView.js';
import {
  PAGE_HEADERS,
  REFRESH_SECONDS,
  renderErrorPage,
  renderFlowPage,
  renderLineagePage,
  type PageContext,
} from '../web/lineagePage.js';
import { pageLinks } from '../web/links.js';

const FLOW_ID = /^[0-9a-f]{20}$/;
const MAX_LIMIT = 100;

/**
 * The lineage as a page people look at (the same ledger reads as `GET /api/flows`):
 *   GET /api/flows/view?limit=&continuationToken=   what is live, then the flows, newest first
 *   GET /api/flows/view/{flowId}                     one flow and its transitions
 * `flows/view` is a literal route: it wins over `flows/{flowId?}` (Functions route precedence).
 */
export async function flowsPageHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const page: PageContext = {
    now: new Date(),
    links: pageLinks(request.url, request.params.flowId),
    refreshSeconds: REFRESH_SECONDS,
  };
  try {
    return await readPage(request, context, page);
  } catch (error) {
    if (!isInfrastructureError(error)) throw error;
    contextLogger(context).error('Flows page could not be read', { code: error.code, error: error.message });
    const what = 'The flow ledger';
    return errorPage(unavailable(what, error.code, context.invocationId), page, {
      title: 'Unavailable',
      message: `${what} is unavailable; try again shortly.`,
      correlationId: context.invocationId,
    });
  }
}

async function readPage(
  request: HttpRequest,
  context: InvocationContext,
  page: PageContext,
): Promise<HttpResponseInit> {
  const correlationId = context.invocationId;
  const refused = (status: 400 | 404, code: string, title: string, message: string): HttpResponseInit =>
    errorPage(problem(status, code, message, correlationId), page, { title, message, correlationId });
  const { ledger } = await getServices();
  const flowId = request.params.flowId;

  if (flowId === undefined || flowId === '') {
    const limitText = request.query.get('limit') ?? '20';
    if (!/^\d{1,3}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > MAX_LIMIT)
      return refused(
        400,
        'QUERY_INVALID',
        'Bad request',
        `limit must be a whole number from 1 to ${MAX_LIMIT}.`,
      );
    const token = request.query.get('continuationToken') ?? undefined;
    if (token !== undefined && (token.length > 2048 || !/^[\x21-\x7e]+$/.test(token)))
      return refused(400, 'QUERY_INVALID', 'Bad request', 'continuationToken is not one this API gave out.');
    const limit = Number(limitText);
    const [listed, last] = await Promise.all([
      ledger.listFlows({ limit, ...(token === undefined ? {} : { continuationToken: token }) }),
      ledger.getLastRelease(),
    ]);
    const current = last === undefined ? undefined : await ledger.getFlow(last.flowId);
    return ok(
      renderLineagePage(
        {
          current: current === undefined ? undefined : flowView(current.value),
          flows: listed.flows.map(flowView),
          limit,
          ...(token === undefined ? {} : { continuationToken: token }),
          ...(listed.continuationToken === undefined
            ? {}
            : { nextContinuationToken: listed.continuationToken }),
        },
        page,
      ),
    );
  }

  if (!FLOW_ID.test(flowId))
    return refused(400, 'FLOW_ID_INVALID', 'Bad flow id', 'A flow id is 20 lower-case hex characters.');
  const [flow, last] = await Promise.all([ledger.getFlow(flowId), ledger.getLastRelease()]);
  if (flow === undefined) return refused(404, 'NOT_FOUND', 'Not found', `No flow ${flowId}.`);
  return ok(renderFlowPage({ flow: flowView(flow.value), isCurrent: last?.flowId === flowId }, page));
}

function ok(body: string): HttpResponseInit {
  return { status: 200, body, headers: { ...PAGE_HEADERS } };
}

/**
 * The API's error answer (status, Retry-After, no-store…) with a small page instead of JSON;
 * a page saying "try again" reloads itself when the answer says to retry.
 */
function errorPage(
  answer: HttpResponseInit,
  page: PageContext,
  text: { readonly title: string; readonly message: string; readonly correlationId: string },
): HttpResponseInit {
  const status = answer.status ?? 500;
  const headers = new Headers(answer.headers);
  for (const [name, value] of Object.entries(PAGE_HEADERS)) headers.set(name, value);
  const retryAfter = Number(headers.get('retry-after') ?? '');
  const { refreshSeconds: _unchanged, ...rest } = page;
  const context: PageContext =
    Number.isInteger(retryAfter) && retryAfter > 0 ? { ...rest, refreshSeconds: retryAfter } : rest;
  return {
    status,
    headers: Object.fromEntries(headers),
    body: renderErrorPage({ status, ...text }, context),
  };
}

export const flowsPage = {
  kind: 'http',
  name: 'flowsPage',
  options: {
    methods: ['GET'],
    authLevel: 'function',
    route: 'flows/view/{flowId?}',
    handler: flowsPageHandler,
  },
} as const satisfies FunctionDefinition;

functions.app.http(flowsPage.name, flowsPage.options);
