// @azure/functions is a CommonJS bundle whose exports Node's ESM loader cannot name: default-import it.
import functions from '@azure/functions';
import type { EventGridEvent, InvocationContext } from '@azure/functions';
import type { FunctionDefinition } from '../app/functionDefinition.js';
import { enqueue, flowQueueOutput } from '../app/flowQueue.js';
import { flowEngine, getServices } from '../app/services.js';
import { readBlobCreatedEvent } from '../core/modelUpload.js';
import { isInfrastructureError } from '../errors.js';
import { contextLogger } from '../http/contextLogger.js';
import { handleModelUpload } from '../usecases/handleModelUpload.js';

/**
 * Event Grid `Microsoft.Storage.BlobCreated` → build of a new model version.
 * Event Grid retries for 24 h on failure, so this throws only for transient failures
 * (storage or Azure DevOps unavailable); every other outcome is acknowledged.
 */
export async function modelUploadedHandler(event: EventGridEvent, context: InvocationContext): Promise<void> {
  const logger = contextLogger(context);
  const blobEvent = readBlobCreatedEvent(event);
  if (blobEvent === undefined) {
    logger.warn('Event Grid event skipped: not a blob event', {
      eventId: event.id,
      eventType: event.eventType,
    });
    return;
  }
  const services = await getServices();
  const { config } = services;
  let outcome;
  try {
    outcome = await handleModelUpload(
      {
        ledger: services.ledger,
        models: services.models,
        engine: flowEngine(services, logger),
        logger,
        settings: {
          storageResourceId: config.model.storageResourceId,
          blobEndpoint: config.storage.blobEndpoint,
          modelsContainer: config.storage.modelsContainer,
          modelName: config.model.name,
          trigger: config.model.trigger,
        },
        branches: config.github.branches,
      },
      blobEvent,
    );
  } catch (error) {
    // Throwing makes Event Grid redeliver (for up to 24 h): worth it only when a retry can succeed.
    // A permanent failure is already recorded on the flow, where it can be replayed.
    if (isInfrastructureError(error) && !error.transient) {
      logger.error('Model upload failed permanently', {
        eventId: event.id,
        code: error.code,
        error: error.message,
      });
      return;
    }
    throw error;
  }
  if (outcome.kind === 'build') {
    const toBuild = [outcome.build, ...outcome.waitingBuilt].filter((accepted) => accepted.enqueue);
    enqueue(
      context,
      toBuild.map((accepted) => ({
        v: 1,
        kind: 'build',
        flowId: accepted.flow.flowId,
        delivery: { source: 'eventgrid', id: event.id },
      })),
    );
    logger.info('Model upload accepted', {
      eventId: event.id,
      outcome: outcome.build.kind,
      flowId: outcome.build.flow.flowId,
      queued: toBuild.length,
    });
  }
}

export const modelUploaded = {
  kind: 'eventGrid',
  name: 'modelUploaded',
  options: { extraOutputs: [flowQueueOutput], handler: modelUploadedHandler },
} as const satisfies FunctionDefinition;

functions.app.eventGrid(modelUploaded.name, modelUploaded.options);
