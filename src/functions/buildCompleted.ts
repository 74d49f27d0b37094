// @azure/functions is a CommonJS bundle whose exports Node's ESM loader cannot name: default-import it.
import functions from '@azure/functions';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { FunctionDefinition } from '../app/functionDefinition.js';
import { enqueue, flowQueueOutput } from '../app/flowQueue.js';
import { getServices } from '../app/services.js';
import { parseBuildCompletedNotification } from '../core/buildCompleted.js';
import { basicAuthMatches } from '../http/basicAuth.js';
import { readBody } from '../http/body.js';
import { contextLogger } from '../http/contextLogger.js';
import { parseJsonLimited } from '../core/jsonLimited.js';
import { json, problem } from '../http/responses.js';

/** A build.complete notification is a few kilobytes; anything near this is not one. */
export const SERVICE_HOOK_MAX_BODY_BYTES = 256 * 1024;

/**
 * Azure DevOps service hook `build.complete` → a release message for the flow worker.
 * Status codes keep the subscription healthy: Azure DevOps retries only 408/502/503/504 and
 * disables subscriptions that keep failing, so all but bad credentials (401) and an
 * unparsable body (400) are answered 2xx.
 */
export async function buildCompletedHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const correlationId = context.invocationId;
  const services = await getServices();
  const logger = contextLogger(context);
  const { username, password } = services.config.serviceHook;
  if (!basicAuthMatches(request.headers.get('authorization'), username, password)) {
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
      'A build.complete notification is never this large.',
      correlationId,
    );
  const payload = parseJsonLimited(body.bytes.toString('utf8'));
  if (!payload.ok) return problem(400, 'PAYLOAD_INVALID', `The body is ${payload.problem}.`, correlationId);
  const notification = parseBuildCompletedNotification(payload.value);
  if (notification === undefined)
    return problem(400, 'PAYLOAD_INVALID', 'The body is not a service hook notification.', correlationId);

  if (notification.eventType !== 'build.complete') {
    return json(200, {
      status: 'ignored',
      reason: 'other-event',
      detail: `event type ${notification.eventType || '(none)'}`,
    });
  }
  if (notification.buildId === undefined) {
    return json(200, { status: 'ignored', reason: 'no-build-id', detail: 'the notification names no build' });
  }
  // Accept fast: the worker re-reads the build from Azure DevOps before it releases anything.
  const deliveryId = `${notification.subscriptionId || 'unknown'}:${notification.notificationId || String(notification.buildId)}`;
  enqueue(context, [
    {
      v: 1,
      kind: 'release',
      buildId: notification.buildId,
      delivery: { source: 'servicehook', id: deliveryId },
    },
  ]);
  logger.info('Build notification accepted', { buildId: notification.buildId, deliveryId });
  return json(202, { status: 'accepted', buildId: notification.buildId });
}

export const buildCompleted = {
  kind: 'http',
  name: 'buildCompleted',
  options: {
    methods: ['POST'],
    authLevel: 'anonymous',
    route: 'devops/build-completed',
    extraOutputs: [flowQueueOutput],
    handler: buildCompletedHandler,
  },
} as const satisfies FunctionDefinition;

functions.app.http(buildCompleted.name, buildCompleted.options);
