// @azure/functions is a CommonJS bundle whose exports Node's ESM loader cannot name: default-import it.
import functions from '@azure/functions';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { FunctionDefinition } from '../app/functionDefinition.js';
import { flowEngine, getServices } from '../app/services.js';
import { parseBuildCompletedNotification } from '../core/buildCompleted.js';
import { isInfrastructureError } from '../errors.js';
import { basicAuthMatches } from '../http/basicAuth.js';
import { readBody } from '../http/body.js';
import { contextLogger } from '../http/contextLogger.js';
import { json, problem } from '../http/responses.js';
import { handleBuildCompleted } from '../usecases/handleBuildCompleted.js';

/** A build.complete notification is a few kilobytes; anything near this is not one. */
export const SERVICE_HOOK_MAX_BODY_BYTES = 256 * 1024;

/**
 * Azure DevOps service hook `build.complete` → release. Status codes keep the subscription
 * healthy: Azure DevOps retries only 408/502/503/504 and disables subscriptions that keep
 * failing, so everything that is not a transient failure is answered 2xx (or 401/400).
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
  let payload: unknown;
  try {
    payload = JSON.parse(body.bytes.toString('utf8'));
  } catch {
    return problem(400, 'PAYLOAD_INVALID', 'The body is not valid JSON.', correlationId);
  }
  const notification = parseBuildCompletedNotification(payload);
  if (notification === undefined)
    return problem(400, 'PAYLOAD_INVALID', 'The body is not a service hook notification.', correlationId);

  try {
    const outcome = await handleBuildCompleted(
      {
        ledger: services.ledger,
        devops: services.devops,
        engine: flowEngine(services, logger),
        logger,
        settings: {
          project: services.config.azureDevOps.project,
          buildPipelineId: services.config.azureDevOps.buildPipelineId,
          branches: services.config.github.branches,
          releaseOnPartialSuccess: services.config.release.onPartialSuccess,
        },
        release: services.config.release,
      },
      notification,
    );
    switch (outcome.kind) {
      case 'ignored':
        return json(200, { status: 'ignored', reason: outcome.reason, detail: outcome.detail });
      case 'recorded':
        return json(200, {
          status: outcome.flow.status,
          reason: outcome.reason,
          flowId: outcome.flow.flowId,
        });
      case 'superseded':
        return json(200, {
          status: 'superseded',
          flowId: outcome.flow.flowId,
          newerBuildId: outcome.newerBuildId,
        });
      case 'release-failed':
        return json(200, { status: 'release-failed', code: outcome.code, flowId: outcome.flow.flowId });
      case 'released':
      case 'already-released':
      case 'release-in-progress':
        return json(outcome.kind === 'released' ? 202 : 200, {
          status: outcome.kind,
          flowId: outcome.flow.flowId,
          ...(outcome.flow.release === undefined ? {} : { release: outcome.flow.release }),
        });
    }
  } catch (error) {
    if (!isInfrastructureError(error)) throw error;
    logger.error('Build notification could not be processed', { code: error.code, error: error.message });
    // 503 makes Azure DevOps deliver the notification again.
    return problem(
      503,
      error.code,
      `${error.message}. Azure DevOps will retry the notification.`,
      correlationId,
      {
        'retry-after': String(error.details.retryAfterSeconds ?? 10),
      },
    );
  }
}

export const buildCompleted = {
  kind: 'http',
  name: 'buildCompleted',
  options: {
    methods: ['POST'],
    authLevel: 'anonymous',
    route: 'devops/build-completed',
    handler: buildCompletedHandler,
  },
} as const satisfies FunctionDefinition;

functions.app.http(buildCompleted.name, buildCompleted.options);
