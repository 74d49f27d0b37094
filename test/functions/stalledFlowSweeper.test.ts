/** The timer that queues again the flows whose build never started (a lost queue message). */
import functions from '@azure/functions';
import { describe, expect, inject, it } from 'vitest';
import { BlobFlowLedger } from '../../src/adapters/blobFlowLedger.js';
import { flowQueueOutput } from '../../src/app/flowQueue.js';
import { newFlow, type FlowRecord, type FlowState } from '../../src/core/flow.js';
import { parseFlowMessage } from '../../src/core/flowMessage.js';
import { stalledFlowSweeper } from '../../src/functions/stalledFlowSweeper.js';
import { appEnv, useAppEnv } from '../support/appEnv.js';
import { freshContainer } from '../support/storage.js';

const { InvocationContext } = functions;

function flow(
  flowId: string,
  minutesAgo: number,
  state: FlowState = { status: 'build-queued', model },
): FlowRecord {
  return newFlow({
    flowId,
    modelName: 'fraud',
    commit: 'c'.repeat(40),
    branch: 'main',
    trigger: 'push',
    delivery: { source: 'github', id: `d-${flowId}` },
    at: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
    state,
  });
}

const model = { name: 'fraud', version: '1.0.0', uri: 'https://x/model.json', sha256: 'a'.repeat(64) };

describe('stalledFlowSweeper', () => {
  it('queues again the flows queued long ago and never started, and nothing else', async () => {
    const ledgerContainer = await freshContainer('flows');
    useAppEnv({
      ...appEnv({ azurite: inject('azurite'), orgUrl: 'http://127.0.0.1:9/contoso' }),
      LEDGER_CONTAINER: ledgerContainer.containerName,
    });
    const ledger = new BlobFlowLedger(ledgerContainer);
    const id = (n: number): string => n.toString(16).padStart(20, '0');
    await ledger.createFlow(flow(id(1), 30)); // stalled
    await ledger.createFlow(flow(id(2), 1)); // just accepted
    await ledger.createFlow({
      ...flow(id(3), 30),
      claimedUntil: new Date(Date.now() + 60_000).toISOString(),
      claimedBy: 'm',
    }); // a worker holds it
    await ledger.createFlow(flow(id(4), 30, { status: 'build-started', model, build: { id: 4, url: 'u' } }));
    await ledger.createFlow(flow(id(5), 30, { status: 'failed', model })); // replay is the operator's call

    const context = new InvocationContext({ invocationId: 'sweep-1', functionName: 'stalledFlowSweeper' });
    await stalledFlowSweeper.options.handler(
      {
        isPastDue: false,
        schedule: { adjustForDST: false },
        scheduleStatus: { last: '', next: '', lastUpdated: '' },
      },
      context,
    );
    const value: unknown = context.extraOutputs.get(flowQueueOutput);
    const messages = (Array.isArray(value) ? value : []).map(parseFlowMessage);
    expect(messages).toEqual([
      { v: 1, kind: 'build', flowId: id(1), delivery: { source: 'system', id: 'sweep-sweep-1' } },
    ]);
  });
});
