import '../app/setup.js';
// @azure/functions is a CommonJS bundle whose exports Node's ESM loader cannot name: default-import it.
import functions from '@azure/functions';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { FunctionDefinition } from '../app/functionDefinition.js';
import { invocationLogger } from '../app/invocationLogger.js';
import { getApp } from '../app/services.js';
import { isFlowId } from '../core/flowId.js';
import { isInfrastructureError } from '../errors.js';
import { readPaging } from '../http/paging.js';
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
    invocationLogger(context).error('Flows page could not be read', {
      code: error.code,
      error: error.message,
    });
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
  const { flows } = await getApp();
  const flowId = request.params.flowId;

  if (flowId === undefined || flowId === '') {
    const paging = readPaging(request);
    if (!paging.ok) return refused(400, 'QUERY_INVALID', 'Bad request', paging.problem);
    const { limit, continuationToken } = paging;
    const [listed, current] = await Promise.all([flows.list(limit, continuationToken), flows.current()]);
    return ok(
      renderLineagePage(
        {
          current: current === undefined ? undefined : flowView(current),
          flows: listed.flows.map(flowView),
          limit,
          ...(continuationToken === undefined ? {} : { continuationToken }),
          ...(listed.continuationToken === undefined
            ? {}
            : { nextContinuationToken: listed.continuationToken }),
        },
        page,
      ),
    );
  }

  if (!isFlowId(flowId))
    return refused(400, 'FLOW_ID_INVALID', 'Bad flow id', 'A flow id is 20 lower-case hex characters.');
  const [flow, current] = await Promise.all([flows.get(flowId), flows.current()]);
  if (flow === undefined) return refused(404, 'NOT_FOUND', 'Not found', `No flow ${flowId}.`);
  return ok(renderFlowPage({ flow: flowView(flow), isCurrent: current?.flowId === flowId }, page));
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
