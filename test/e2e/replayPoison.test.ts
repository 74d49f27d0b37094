/**
 * `POST /api/ops/replay-poison` through the local host, on Azurite's queues: messages that
 * ended in `flow-work-poison` go back to `flow-work` and the worker does their work; a message
 * replayed again starts nothing new.
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobFlowLedger } from '../../src/adapters/blobFlowLedger.js';
import { newFlow } from '../../src/core/flow.js';
import { flowIdOf } from '../../src/core/flowId.js';
import { buildMessage } from '../../src/core/flowMessage.js';
import { sha } from '../support/github.js';
import { at, responseJson } from '../../tools/json.js';
import { drained, runsCreated, startStack, type Stack } from '../support/stack.js';

let stack: Stack;
let ledger: BlobFlowLedger;
const MODEL = {
  name: 'fraud',
  version: '1.0.0',
  uri: 'https://models/fraud/1.0.0/model.json',
  sha256: 'a'.repeat(64),
};

beforeAll(async () => {
  stack = await startStack();
  const ledgerContainer = BlobServiceClient.fromConnectionString(
    stack.azurite.connectionString,
  ).getContainerClient(stack.env.LEDGER_CONTAINER ?? 'flows');
  await ledgerContainer.createIfNotExists();
  ledger = new BlobFlowLedger(ledgerContainer);
});
afterAll(async () => {
  await stack.stop();
});

/**
 * A flow whose build message used up its deliveries: the worker marked it failed, and the host
 * moved the message, as it was written (base64 JSON), to the poison queue.
 */
async function poisoned(name: string): Promise<string> {
  const commit = sha(name);
  const flowId = flowIdOf(MODEL.name, MODEL.version, commit);
  const delivery = { source: 'github', id: `delivery-${name}` } as const;
  await ledger.createFlow(
    newFlow({
      flowId,
      modelName: MODEL.name,
      commit,
      branch: 'main',
      trigger: 'push',
      delivery,
      at: new Date().toISOString(),
      state: { status: 'failed', model: MODEL },
      reason: 'gave up after 5 deliveries',
    }),
  );
  await stack.poisonQueue.createIfNotExists();
  await stack.poisonQueue.sendMessage(
    Buffer.from(JSON.stringify(buildMessage(flowId, delivery))).toString('base64'),
  );
  return flowId;
}

async function replay(limit: number) {
  return responseJson(
    await fetch(`${stack.host.url}/api/ops/replay-poison?limit=${limit}`, { method: 'POST' }),
  );
}

/** The flows of the build runs created since `since` runs. */
const flowIdsBuilt = (since: number): unknown[] =>
  runsCreated(stack.emulator, 1)
    .slice(since)
    .map((run) => at(run.body, 'templateParameters', 'flowId'));

describe('POST /api/ops/replay-poison', () => {
  it('moves the poison messages back to the work queue, and the worker builds their flows', async () => {
    const flowIds = [await poisoned('replay-1'), await poisoned('replay-2'), await poisoned('replay-3')];
    const before = runsCreated(stack.emulator, 1).length;

    expect(await replay(2)).toMatchObject({ status: 200, body: { replayed: 2, remaining: 1 } });
    expect(await replay(10)).toMatchObject({ status: 200, body: { replayed: 1, remaining: 0 } });
    await drained(stack);

    expect(flowIdsBuilt(before).sort()).toEqual([...flowIds].sort());
    for (const flowId of flowIds)
      expect((await ledger.getFlow(flowId))?.value).toMatchObject({
        status: 'build-started',
        build: { id: expect.any(Number) },
      });
    expect((await stack.poisonQueue.getProperties()).approximateMessagesCount).toBe(0);
  });

  it('starts nothing new when a message whose work is done is replayed again', async () => {
    const flowId = await poisoned('replay-twice');
    await replay(10);
    await drained(stack);
    const before = runsCreated(stack.emulator, 1).length;
    await stack.poisonQueue.sendMessage(
      Buffer.from(
        JSON.stringify(buildMessage(flowId, { source: 'github', id: 'delivery-replay-twice' })),
      ).toString('base64'),
    );
    expect(await replay(10)).toMatchObject({ status: 200, body: { replayed: 1, remaining: 0 } });
    await drained(stack);
    expect(runsCreated(stack.emulator, 1).slice(before)).toEqual([]);
  });

  it('answers an empty poison queue with nothing replayed', async () => {
    expect(await replay(10)).toMatchObject({ status: 200, body: { replayed: 0, remaining: 0 } });
  });
});
