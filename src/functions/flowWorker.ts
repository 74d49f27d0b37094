import '../app/setup.js';
// @azure/functions is a CommonJS bundle whose exports Node's ESM loader cannot name: default-import it.
import functions from '@azure/functions';
import type { InvocationContext } from '@azure/functions';
import { FLOW_QUEUE, MAX_DEQUEUE_COUNT, QUEUE_CONNECTION } from '../app/flowQueue.js';
import type { FunctionDefinition } from '../app/functionDefinition.js';
import { invocationLogger } from '../app/invocationLogger.js';
import { getApp } from '../app/services.js';
import { parseFlowMessage } from '../core/flowMessage.js';

/**
 * The flow worker: does the Azure DevOps work the accepting functions queued. Throwing hands
 * the message back to the queue (retried after the visibility timeout, moved to
 * `flow-work-poison` after the last delivery); the use cases throw only what a retry can fix.
 */
export async function flowWorkerHandler(queueItem: unknown, context: InvocationContext): Promise<void> {
  const logger = invocationLogger(context);
  const message = parseFlowMessage(queueItem);
  if (message === undefined) {
    // Never valid, however often retried: log it and let it go.
    logger.error('Flow worker: unreadable message dropped', { messageId: messageIdOf(context) });
    return;
  }
  const app = await getApp();
  const outcome = await app.processMessage(
    message,
    {
      messageId: messageIdOf(context),
      dequeueCount: dequeueCountOf(context),
      maxDequeueCount: MAX_DEQUEUE_COUNT,
      delivery: message.delivery,
    },
    logger,
  );
  logger.info('Flow message processed', {
    kind: message.kind,
    outcome: outcome.kind,
    ...(outcome.flowId === undefined ? {} : { flowId: outcome.flowId }),
  });
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
