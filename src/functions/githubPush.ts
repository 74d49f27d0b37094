import '../app/setup.js';
// @azure/functions is a CommonJS bundle whose exports Node's ESM loader cannot name: default-import it.
import functions from '@azure/functions';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { enqueue, flowQueueOutput } from '../app/flowQueue.js';
import type { FunctionDefinition } from '../app/functionDefinition.js';
import { invocationLogger } from '../app/invocationLogger.js';
import { getApp } from '../app/services.js';
import { isInfrastructureError } from '../errors.js';
import { readGitHubDelivery } from '../http/githubDelivery.js';
import { json, problem } from '../http/responses.js';
import type { PushOutcome } from '../usecases/acceptPush.js';

/** `POST /api/github`: a signed GitHub push → a queued build of that commit with the current model. */
export async function githubPushHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const app = await getApp();
  const logger = invocationLogger(context);
  const delivery = await readGitHubDelivery(request, app.github.webhookSecrets, context.invocationId);
  if (delivery.kind === 'answered') {
    if (delivery.warning !== undefined) logger.warn(`GitHub delivery refused: ${delivery.warning}`);
    return delivery.response;
  }
  const { deliveryId } = delivery;
  try {
    const outcome = await app.acceptPush(delivery, logger);
    if (outcome.kind !== 'skipped') enqueue(context, outcome.messages);
    return responseFor(outcome, deliveryId);
  } catch (error) {
    if (!isInfrastructureError(error)) throw error;
    logger.error('Push could not be processed', { deliveryId, code: error.code, error: error.message });
    return problem(
      error.transient ? 503 : 502,
      error.code,
      `${error.message}. Nothing was started; redeliver the webhook from GitHub to try again.`,
      context.invocationId,
    );
  }
}

function responseFor(outcome: PushOutcome, deliveryId: string): HttpResponseInit {
  switch (outcome.kind) {
    case 'skipped':
      return json(200, { status: 'skipped', reason: outcome.reason, detail: outcome.detail, deliveryId });
    case 'duplicate':
      return json(200, {
        status: 'duplicate',
        flowId: outcome.flow.flowId,
        flowStatus: outcome.flow.status,
        deliveryId,
      });
    case 'waiting-for-model':
      return json(202, {
        status: 'waiting-for-model',
        message: `No version of model ${outcome.flow.modelName} has been promoted yet: the commit will be built with the first one uploaded.`,
        flowId: outcome.flow.flowId,
        deliveryId,
      });
    case 'accepted':
    case 'already-started':
    case 'in-progress':
      return json(outcome.kind === 'accepted' ? 202 : 200, {
        status: outcome.kind,
        flowId: outcome.flow.flowId,
        ...(outcome.flow.build === undefined
          ? {}
          : { runId: outcome.flow.build.id, runUrl: outcome.flow.build.url }),
        deliveryId,
      });
  }
}

export const githubPush = {
  kind: 'http',
  name: 'githubPush',
  options: {
    methods: ['POST'],
    authLevel: 'anonymous',
    route: 'github',
    extraOutputs: [flowQueueOutput],
    handler: githubPushHandler,
  },
} as const satisfies FunctionDefinition;

functions.app.http(githubPush.name, githubPush.options);
