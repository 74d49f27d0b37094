// @azure/functions is a CommonJS bundle whose exports Node's ESM loader cannot name: default-import it.
import functions from '@azure/functions';
import type { InvocationContext } from '@azure/functions';
import { FLOW_QUEUE, MAX_DEQUEUE_COUNT, QUEUE_CONNECTION } from '../app/flowQueue.js';
import type { FunctionDefinition } from '../app/functionDefinition.js';
import { flowEngine, getServices } from '../app/services.js';
import { parseFlowMessage } from '../core/flowMessage.js';
import { contextLogger } from '../http/contextLogger.js';
import type { WorkItem } from '../usecases/flowEngine.js';
import { processBuildCompleted } from '../usecases/handleBuildCompleted.js';

/**
 * The flow worker: does the Azure DevOps work the accepting functions queued. Throwing
 * hands the message back to the queue (retried after the visibility timeout, moved to
 * `flow-work-poison` after the last delivery), so it throws only when a retry can help.
 */
export async function flowWorkerHandler(queueItem: unknown, context: InvocationContext): Promise<void> {
  const logger = contextLogger(context);
  const message = parseFlowMessage(queueItem);
  if (message === undefined) {
    // Never valid, however often retried: log it and let it go.
    logger.error('Flow worker: unreadable message dropped', { messageId: messageIdOf(context) });
    return;
  }
  const services = await getServices();
  const engine = flowEngine(services, logger);
  const work: WorkItem = {
    messageId: messageIdOf(context),
    dequeueCount: dequeueCountOf(context),
    maxDequeueCount: MAX_DEQUEUE_COUNT,
    delivery: message.delivery,
  };
  if (message.kind === 'build') {
    const outcome = await engine.processBuild(message.flowId, work);
    logger.info('Build message processed', { flowId: message.flowId, outcome: outcome.kind });
    return;
  }
  const { config } = services;
  const outcome = await processBuildCompleted(
    {
      ledger: services.ledger,
      devops: services.devops,
      engine,
      logger,
      settings: {
        project: config.azureDevOps.project,
        buildPipelineId: config.azureDevOps.buildPipelineId,
        branches: config.github.branches,
        releaseOnPartialSuccess: config.release.onPartialSuccess,
        ...(config.release.mode === 'pipeline' ? { releasePipelineId: config.release.pipelineId } : {}),
      },
      release: config.release,
    },
    message.buildId,
    work,
  );
  logger.info('Release message processed', { buildId: message.buildId, outcome: outcome.kind });
}

function messageIdOf(context: InvocationContext): string {
  const id = context.triggerMetadata?.id;
  return typeof id === 'string' && id !== '' ? id : context.invocationId;
}

function dequeueCountOf(context: InvocationContext): number {
  const count = context.triggerMetadata?.dequeueCount;
  return typeof count === 'number' ? count : Number(count ?? 1) || 1;
}

export const flowWorker = {
  kind: 'storageQueue',
  name: 'flowWorker',
  options: { queueName: FLOW_QUEUE, connection: QUEUE_CONNECTION, handler: flowWorkerHandler },
} as const satisfies FunctionDefinition;

functions.app.storageQueue(flowWorker.name, flowWorker.options);
