// @azure/functions is a CommonJS bundle whose exports Node's ESM loader cannot name: default-import it.
import functions from '@azure/functions';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { FunctionDefinition } from '../app/functionDefinition.js';
import { enqueue, flowQueueOutput } from '../app/flowQueue.js';
import { flowEngine, getServices } from '../app/services.js';
import { parsePushEvent } from '../core/githubPush.js';
import { verifyGitHubSignature } from '../core/signature.js';
import { isInfrastructureError } from '../errors.js';
import { mediaTypeOf, readBody } from '../http/body.js';
import { contextLogger } from '../http/contextLogger.js';
import { parseJsonLimited } from '../core/jsonLimited.js';
import { json, problem } from '../http/responses.js';
import { handlePush } from '../usecases/handlePush.js';

/** GitHub caps webhook payloads at 25 MB and drops larger ones; so do we. */
export const GITHUB_MAX_BODY_BYTES = 25 * 1024 * 1024;
const DELIVERY_ID = /^[A-Za-z0-9-]{1,100}$/;
const EVENT_NAME = /^[a-z_]{1,64}$/;

export async function githubPushHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const correlationId = context.invocationId;
  const services = await getServices();
  const logger = contextLogger(context);

  const body = await readBody(request, GITHUB_MAX_BODY_BYTES);
  if (!body.ok) return problem(413, 'PAYLOAD_TOO_LARGE', 'The payload is larger than 25 MB.', correlationId);

  // Authenticate the exact bytes received, before anything is parsed.
  const signature = verifyGitHubSignature(
    body.bytes,
    request.headers.get('x-hub-signature-256'),
    request.headers.get('x-hub-signature'),
    services.config.github.webhookSecrets,
  );
  if (!signature.valid) {
    logger.warn('GitHub delivery refused: bad signature', { problem: signature.problem });
    return problem(401, 'SIGNATURE_INVALID', SIGNATURE_MESSAGES[signature.problem], correlationId);
  }

  const event = request.headers.get('x-github-event');
  const deliveryId = request.headers.get('x-github-delivery');
  const missing = [
    event === null ? 'X-GitHub-Event' : undefined,
    deliveryId === null ? 'X-GitHub-Delivery' : undefined,
  ].filter((name): name is string => name !== undefined);
  if (event === null || deliveryId === null) {
    return problem(
      400,
      'HEADER_MISSING',
      `Missing required header(s): ${missing.join(', ')}.`,
      correlationId,
    );
  }
  if (!EVENT_NAME.test(event))
    return problem(400, 'HEADER_INVALID', 'X-GitHub-Event is not an event name.', correlationId);
  if (!DELIVERY_ID.test(deliveryId))
    return problem(400, 'HEADER_INVALID', 'X-GitHub-Delivery is not a delivery id.', correlationId);

  if (event === 'ping') return json(200, { status: 'pong', deliveryId });
  if (event !== 'push') return json(202, { status: 'ignored', message: `ignored: ${event}`, deliveryId });

  const payloadText = payloadOf(mediaTypeOf(request), body.bytes);
  if (payloadText.kind === 'unsupported') {
    return problem(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'Send the webhook as JSON: in the GitHub webhook settings set "Content type" to application/json.',
      correlationId,
    );
  }
  if (payloadText.kind === 'no-payload-field') {
    return problem(
      400,
      'PAYLOAD_INVALID',
      'The form-encoded delivery has no "payload" field.',
      correlationId,
    );
  }
  const payload = parseJsonLimited(payloadText.text);
  if (!payload.ok)
    return problem(400, 'PAYLOAD_INVALID', `The payload is ${payload.problem}.`, correlationId);
  const parsed = parsePushEvent(payload.value);
  if (!parsed.ok)
    return problem(400, 'PAYLOAD_INVALID', `Not a push event: ${parsed.problem}.`, correlationId);

  try {
    const outcome = await handlePush(
      {
        ledger: services.ledger,
        engine: flowEngine(services, logger),
        logger,
        filter: services.config.github,
        modelName: services.config.model.name,
      },
      {
        event: parsed.event,
        deliveryId,
        ...(parsed.event.pushedAt === undefined ? {} : { pushedAt: parsed.event.pushedAt }),
      },
    );
    switch (outcome.kind) {
      case 'duplicate':
        return json(200, {
          status: 'duplicate',
          flowId: outcome.flow.flowId,
          flowStatus: outcome.flow.status,
          deliveryId,
        });
      case 'skipped':
        return json(200, { status: 'skipped', reason: outcome.reason, detail: outcome.detail, deliveryId });
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
        if (outcome.enqueue) {
          enqueue(context, [
            {
              v: 1,
              kind: 'build',
              flowId: outcome.flow.flowId,
              delivery: { source: 'github', id: deliveryId },
            },
          ]);
        }
        return json(outcome.kind === 'accepted' ? 202 : 200, {
          status: outcome.kind,
          flowId: outcome.flow.flowId,
          ...(outcome.flow.build === undefined
            ? {}
            : { runId: outcome.flow.build.id, runUrl: outcome.flow.build.url }),
          deliveryId,
        });
    }
  } catch (error) {
    if (!isInfrastructureError(error)) throw error;
    logger.error('Push could not be processed', { deliveryId, code: error.code, error: error.message });
    return problem(
      error.transient ? 503 : 502,
      error.code,
      `${error.message}. Nothing was started; redeliver the webhook from GitHub to try again.`,
      correlationId,
    );
  }
}

const SIGNATURE_MESSAGES = {
  missing: 'X-Hub-Signature-256 is missing: configure a secret on the webhook.',
  'sha1-only': 'Only an SHA-1 signature was sent; X-Hub-Signature-256 is required.',
  malformed: 'X-Hub-Signature-256 is not of the form sha256=<hex>.',
  mismatch: 'X-Hub-Signature-256 does not match the payload.',
} as const;

/** GitHub sends JSON, or with the legacy form content type a `payload=` field holding the JSON. */
function payloadOf(
  mediaType: string,
  bytes: Buffer,
):
  | { readonly kind: 'json'; readonly text: string }
  | { readonly kind: 'no-payload-field' }
  | { readonly kind: 'unsupported' } {
  if (mediaType === 'application/json' || mediaType === '')
    return { kind: 'json', text: bytes.toString('utf8') };
  if (mediaType === 'application/x-www-form-urlencoded') {
    const text = new URLSearchParams(bytes.toString('utf8')).get('payload');
    return text === null ? { kind: 'no-payload-field' } : { kind: 'json', text };
  }
  return { kind: 'unsupported' };
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
