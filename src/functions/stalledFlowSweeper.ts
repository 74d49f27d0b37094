import '../app/setup.js';
// @azure/functions is a CommonJS bundle whose exports Node's ESM loader cannot name: default-import it.
import functions from '@azure/functions';
import type { InvocationContext, Timer } from '@azure/functions';
import { enqueue, flowQueueOutput } from '../app/flowQueue.js';
import type { FunctionDefinition } from '../app/functionDefinition.js';
import { invocationLogger } from '../app/invocationLogger.js';
import { getApp } from '../app/services.js';

/**
 * Every five minutes: queue again the accepted flows whose build never started (their queue
 * message was lost). GitHub never redelivers on its own, so without this a lost message
 * would leave a push unbuilt until someone noticed. With flow events on, the same pass
 * publishes the transitions still pending on quiet flows (the topic was down).
 */
export async function stalledFlowSweeperHandler(_timer: Timer, context: InvocationContext): Promise<void> {
  const app = await getApp();
  const logger = invocationLogger(context);
  const messages = await app.sweepStalledFlows(context.invocationId, logger);
  enqueue(context, messages);
  if (messages.length > 0) {
    logger.warn('Stalled flows queued again', {
      flowIds: messages.flatMap((message) => (message.kind === 'build' ? [message.flowId] : [])),
    });
  }
}

export const stalledFlowSweeper = {
  kind: 'timer',
  name: 'stalledFlowSweeper',
  options: { schedule: '0 */5 * * * *', extraOutputs: [flowQueueOutput], handler: stalledFlowSweeperHandler },
} as const satisfies FunctionDefinition;

functions.app.timer(stalledFlowSweeper.name, stalledFlowSweeper.options);
