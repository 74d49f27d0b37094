// @azure/functions is a CommonJS bundle whose exports Node's ESM loader cannot name: default-import it.
import functions from '@azure/functions';
import type { InvocationContext } from '@azure/functions';
import type { FlowMessage } from '../core/flowMessage.js';

/** The queue the accepting functions write and the flow worker reads. */
export const FLOW_QUEUE = 'flow-work';
/** Where the Functions host moves a message after its last failed delivery (its naming convention). */
export const FLOW_POISON_QUEUE = `${FLOW_QUEUE}-poison`;
/** Must equal `extensions.queues.maxDequeueCount` in host.json (a contract test checks it). */
export const MAX_DEQUEUE_COUNT = 5;
/** The storage connection (app setting prefix) the queue binding uses. */
export const QUEUE_CONNECTION = 'AzureWebJobsStorage';

export const flowQueueOutput = functions.output.storageQueue({
  queueName: FLOW_QUEUE,
  connection: QUEUE_CONNECTION,
});

/** Hands messages to the queue output binding; the host writes them when the function returns. */
export function enqueue(context: InvocationContext, messages: readonly FlowMessage[]): void {
  if (messages.length > 0) context.extraOutputs.set(flowQueueOutput, [...messages]);
}
