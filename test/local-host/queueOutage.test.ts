/**
 * The local host outlives a queue storage outage as the Functions host does: started while
 * nothing answers on the storage port, it says so once, keeps polling, and processes a queued
 * message once storage is there (here: Azurite started later on that very port).
 */
import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, describe, expect, it } from 'vitest';
import type { FunctionDefinition } from '../../src/app/functionDefinition.js';
import { azuriteEndpoints, freePort, startAzurite, type RunningAzurite } from '../../tools/azurite.js';
import { startLocalHost, type LocalHost } from '../../tools/local-host/server.js';
import { waitFor } from '../../tools/wait.js';
import {} from '../support/stack.js';

const QUEUE = 'outage-work';
const started: { host?: LocalHost; azurite?: RunningAzurite } = {};

afterAll(async () => {
  await started.host?.close();
  await started.azurite?.stop();
});

describe('the local host when queue storage is not reachable yet', () => {
  it('logs the outage once, keeps polling, and processes a message once storage answers', async () => {
    const blobPort = await freePort();
    let queuePort = await freePort();
    while (queuePort === blobPort) queuePort = await freePort();
    const storage = azuriteEndpoints(blobPort, queuePort);
    const received: unknown[] = [];
    const worker: FunctionDefinition = {
      kind: 'storageQueue',
      name: 'outageWorker',
      options: {
        queueName: QUEUE,
        connection: 'OutageStorage',
        handler: (item) => {
          received.push(item);
        },
      },
    };
    const logs: string[] = [];
    started.host = await startLocalHost({
      definitions: [worker],
      env: { OutageStorage: storage.connectionString },
      log: (line) => logs.push(line),
    });
    const unreachable = (): string[] => logs.filter((line) => line.includes(`queue ${QUEUE} unreachable`));
    await waitFor(() => unreachable().length > 0, { what: 'the outage to be logged' });
    expect(unreachable()[0]).toContain('ECONNREFUSED');

    started.azurite = await startAzurite({ blobPort, queuePort });
    const queue = QueueServiceClient.fromConnectionString(storage.connectionString).getQueueClient(QUEUE);
    await queue.createIfNotExists();
    await queue.sendMessage(Buffer.from(JSON.stringify({ hello: 'after the outage' })).toString('base64'));

    await waitFor(() => received.length > 0, {
      what: 'the queued message to be processed',
      timeoutMs: 20_000,
    });
    expect(received).toEqual([{ hello: 'after the outage' }]);
    // Once per outage, however often polling failed meanwhile; then the recovery.
    expect(unreachable()).toHaveLength(1);
    expect(logs.filter((line) => line.includes(`queue ${QUEUE} reachable again after`))).toHaveLength(1);
  });
});
