/**
 * The every-5-minutes stalledFlowSweeper timer, as the Functions host runs it (getApp, the
 * settings from the environment): with flow events on, the same pass publishes the
 * transitions still pending on quiet flows, and still queues the stalled ones.
 */
import functions from '@azure/functions';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BlobFlowLedger } from '../../src/adapters/blobFlowLedger.js';
import { flowQueueOutput } from '../../src/app/flowQueue.js';
import { newFlow, transition, type FlowRecord } from '../../src/core/flow.js';
import { flowEventId } from '../../src/core/flowEvents.js';
import { parseFlowMessage } from '../../src/core/flowMessage.js';
import { stalledFlowSweeper } from '../../src/functions/stalledFlowSweeper.js';
import { startLocalTopic, type LocalTopic } from '../../tools/event-grid-topic/server.js';
import { appEnv, useAppEnv } from '../support/appEnv.js';
import { freshContainer } from '../support/storage.js';

const { InvocationContext } = functions;
const KEY = 'topic-key-0c4e8a2b6d1f3e57';
const model = {
  name: 'fraud',
  version: '1.0.0',
  uri: 'https://st/models/fraud/1.0.0/model.json',
  sha256: 'a'.repeat(64),
};
const id = (n: number): string => n.toString(16).padStart(20, '0');

let topic: LocalTopic;
beforeAll(async () => {
  topic = await startLocalTopic({ key: KEY });
});
afterAll(async () => {
  await topic.close();
});

function flow(flowId: string, minutesAgo: number, eventsPublished: number | undefined): FlowRecord {
  const at = (earlier: number) => new Date(Date.now() - (minutesAgo + earlier) * 60_000).toISOString();
  const queued = newFlow({
    flowId,
    modelName: 'fraud',
    commit: 'c'.repeat(40),
    branch: 'main',
    trigger: 'push',
    delivery: { source: 'github', id: `d-${flowId}` },
    at: at(1),
    state: { status: 'build-queued', model },
  });
  const failed = transition(queued, { status: 'failed', model }, { source: 'system', id: 's' }, at(0), {
    reason: 'gave up after 5 deliveries',
  });
  const record = flowId === id(1) ? queued : failed;
  return eventsPublished === undefined ? record : { ...record, eventsPublished };
}

describe('stalledFlowSweeper with flow events on', () => {
  it('publishes what quiet flows still owe, leaves busy and untracked flows alone, and still queues stalled flows', async () => {
    const ledgerContainer = await freshContainer('flows');
    useAppEnv({
      ...appEnv({ azurite: inject('azurite'), orgUrl: 'http://127.0.0.1:9/contoso' }),
      LEDGER_CONTAINER: ledgerContainer.containerName,
      FLOW_EVENTS_TOPIC_ENDPOINT: topic.endpoint,
      FLOW_EVENTS_TOPIC_KEY: KEY,
    });
    const ledger = new BlobFlowLedger(ledgerContainer);
    await ledger.createFlow(flow(id(1), 30, 0)); // stalled in build-queued, its one event pending
    await ledger.createFlow(flow(id(2), 30, 1)); // failed long ago: its second event pending
    await ledger.createFlow(flow(id(3), 0, 0)); // moved a moment ago: its own writes publish
    await ledger.createFlow(flow(id(4), 30, undefined)); // created while events were off
    await ledger.createFlow(flow(id(5), 30, 2)); // all published

    const context = new InvocationContext({ invocationId: 'sweep-7', functionName: 'stalledFlowSweeper' });
    await stalledFlowSweeper.options.handler(
      {
        isPastDue: false,
        schedule: { adjustForDST: false },
        scheduleStatus: { last: '', next: '', lastUpdated: '' },
      },
      context,
    );

    expect(
      topic
        .events()
        .map((received) => received.event.id)
        .sort(),
    ).toEqual([flowEventId(id(1), 0), flowEventId(id(2), 1)].sort());
    expect((await ledger.getFlow(id(1)))?.value.eventsPublished).toBe(1);
    expect((await ledger.getFlow(id(2)))?.value.eventsPublished).toBe(2);
    expect((await ledger.getFlow(id(3)))?.value.eventsPublished).toBe(0);
    expect((await ledger.getFlow(id(4)))?.value.eventsPublished).toBeUndefined();
    const value: unknown = context.extraOutputs.get(flowQueueOutput);
    expect((Array.isArray(value) ? value : []).map(parseFlowMessage)).toEqual([
      { v: 1, kind: 'build', flowId: id(1), delivery: { source: 'system', id: 'sweep-sweep-7' } },
    ]);
  });
});
