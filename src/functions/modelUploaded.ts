import '../app/setup.js';
// @azure/functions is a CommonJS bundle whose exports Node's ESM loader cannot name: default-import it.
import functions from '@azure/functions';
import type { EventGridEvent, InvocationContext } from '@azure/functions';
import { enqueue, flowQueueOutput } from '../app/flowQueue.js';
import type { FunctionDefinition } from '../app/functionDefinition.js';
import { invocationLogger } from '../app/invocationLogger.js';
import { getApp } from '../app/services.js';
import { clipDetail } from '../core/guards.js';
import { isInfrastructureError, isRetryable } from '../errors.js';
import { messagesOf } from '../usecases/modelUploadOutcome.js';

/**
 * Event Grid `Microsoft.Storage.BlobCreated` → build of a new model version. Throwing makes
 * Event Grid deliver the event again (for up to 24 h, then to the dead-letter container), so
 * this throws only what a retry can fix (`isRetryable`: storage unavailable, a blob still
 * being copied); every other outcome, a permanent failure included, is logged and acknowledged.
 */
export async function modelUploadedHandler(event: EventGridEvent, context: InvocationContext): Promise<void> {
  const logger = invocationLogger(context);
  // @azure/eventgrid's types and isSystemEvent, loaded on the first event rather than at cold start.
  const { readIncomingEvent } = await import('../adapters/eventGridSystemEvents.js');
  const incoming = readIncomingEvent(event);
  if (incoming.kind !== 'blob-created') {
    logger.warn(
      'Event Grid event skipped: not a BlobCreated event',
      incoming.kind === 'other'
        ? { eventId: clipDetail(incoming.id), eventType: clipDetail(incoming.eventType) }
        : {},
    );
    return;
  }
  const blobEvent = incoming.event;
  const app = await getApp();
  try {
    const outcome = await app.acceptModelUpload(blobEvent, logger);
    enqueue(context, messagesOf(outcome));
    if (outcome.kind === 'build') {
      logger.info('Model upload accepted', {
        eventId: clipDetail(event.id),
        outcome: outcome.build.kind,
        flowId: outcome.build.flow.flowId,
        queued: messagesOf(outcome).length,
      });
    }
  } catch (error) {
    if (isRetryable(error) || !isInfrastructureError(error)) throw error;
    logger.error('Model upload failed permanently: not retried', {
      eventId: clipDetail(event.id),
      code: error.code,
      error: error.message,
    });
  }
}

export const modelUploaded = {
  kind: 'eventGrid',
  name: 'modelUploaded',
  options: { extraOutputs: [flowQueueOutput], handler: modelUploadedHandler },
} as const satisfies FunctionDefinition;

functions.app.eventGrid(modelUploaded.name, modelUploaded.options);
