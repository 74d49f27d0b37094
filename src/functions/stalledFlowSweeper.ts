// @azure/functions is a CommonJS bundle whose exports Node's ESM loader cannot name: default-import it.
import functions from '@azure/functions';
import type { InvocationContext, Timer } from '@azure/functions';
import { enqueue, flowQueueOutput } from '../app/flowQueue.js';
import type { FunctionDefinition } from '../app/functionDefinition.js';
import { getServices } from '../app/services.js';
import { contextLogger } from '../http/contextLogger.js';
import { findStalledFlows } from '../usecases/sweepStalledFlows.js';

/**
 * Every five minutes: queue again the accepted flows whose build never started (their queue
 * message was lost). GitHub never redelivers on its own, so without this a lost message
 * would leave a push unbuilt until someone noticed.
 */
export async function stalledFlowSweeperHandler(_timer: Timer, context: InvocationContext): Promise<void> {
  const { ledger } = await getServices();
  const stalled = await findStalledFlows(ledger);
  enqueue(
    context,
    stalled.map((flow) => ({
      v: 1,
      kind: 'build',
      flowId: flow.flowId,
      delivery: { source: 'system', id: `sweep-${context.invocationId}` },
    })),
  );
  if (stalled.length > 0) {
    contextLogger(context).warn('Stalled flows queued again', {
      flowIds: stalled.map((flow) => flow.flowId),
    });
  }
}

export const stalledFlowSweeper = {
  kind: 'timer',
  name: 'stalledFlowSweeper',
  options: { schedule: '0 */5 * * * *', extraOutputs: [flowQueueOutput], handler: stalledFlowSweeperHandler },
} as const satisfies FunctionDefinition;

functions.app.timer(stalledFlowSweeper.name, stalledFlowSweeper.options);
