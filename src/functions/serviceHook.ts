import '../app/setup.js';
// @azure/functions is a CommonJS bundle whose exports Node's ESM loader cannot name: default-import it.
import functions from '@azure/functions';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { enqueue, flowQueueOutput } from '../app/flowQueue.js';
import type { FunctionDefinition } from '../app/functionDefinition.js';
import { invocationLogger } from '../app/invocationLogger.js';
import { getApp } from '../app/services.js';
import { parseJsonLimited } from '../core/jsonLimited.js';
import { decideServiceHook, parseServiceHookNotification } from '../core/serviceHook.js';
import { basicAuthMatches } from '../http/basicAuth.js';
import { readBody } from '../http/body.js';
import { json, problem } from '../http/responses.js';

/** A service-hook notification is a few kilobytes; anything near this is not one. */
export const SERVICE_HOOK_MAX_BODY_BYTES = 256 * 1024;

/**
 * `POST /api/devops/service-hook`: every Azure DevOps service hook the app subscribes to —
 * `build.complete` (build and deploy pipelines) and, for classic releases,
 * `ms.vss-release.deployment-completed-event` — becomes a message for the flow worker, which
 * re-reads the build or release before acting. Azure DevOps retries only 408/502/503/504 and
 * disables subscriptions that keep failing, so all but bad credentials (401), an unreadable
 * body (400) and an oversized one (413) are answered 2xx.
 */
export async function serviceHookHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const correlationId = context.invocationId;
  const app = await getApp();
  const logger = invocationLogger(context);
  if (
    !basicAuthMatches(
      request.headers.get('authorization'),
      app.serviceHook.username,
      app.serviceHook.password,
    )
  ) {
    logger.warn('Service hook refused: bad credentials');
    return problem(
      401,
      'UNAUTHORIZED',
      'Basic authentication with the service hook credentials is required.',
      correlationId,
      {
        'www-authenticate': 'Basic realm="ai-app-cicd", charset="UTF-8"',
      },
    );
  }
  const body = await readBody(request, SERVICE_HOOK_MAX_BODY_BYTES);
  if (!body.ok)
    return problem(
      413,
      'PAYLOAD_TOO_LARGE',
      'A service-hook notification is never this large.',
      correlationId,
    );
  const payload = parseJsonLimited(body.bytes.toString('utf8'));
  if (!payload.ok) return problem(400, 'PAYLOAD_INVALID', `The body is ${payload.problem}.`, correlationId);
  const notification = parseServiceHookNotification(payload.value);
  if (notification === undefined)
    return problem(400, 'PAYLOAD_INVALID', 'The body is not a service hook notification.', correlationId);

  const decision = decideServiceHook(notification);
  if (decision.kind === 'ignored')
    return json(200, { status: 'ignored', reason: decision.reason, detail: decision.detail });
  // Accept fast: the worker re-reads the build or release from Azure DevOps before acting on it.
  enqueue(context, [decision.message]);
  logger.info('Service hook accepted', {
    eventType: notification.eventType,
    deliveryId: decision.message.delivery.id,
    ...decision.subject,
  });
  return json(202, { status: 'accepted', ...decision.subject });
}

export const serviceHook = {
  kind: 'http',
  name: 'serviceHook',
  options: {
    methods: ['POST'],
    authLevel: 'anonymous',
    route: 'devops/service-hook',
    extraOutputs: [flowQueueOutput],
    handler: serviceHookHandler,
  },
} as const satisfies FunctionDefinition;

functions.app.http(serviceHook.name, serviceHook.options);
