/**
 * A worker killed after Azure DevOps created the run but before the ledger heard of it:
 * when the queue hands the message out again, the next worker finds that run and adopts
 * it instead of starting a second one.
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLOW_QUEUE } from '../../src/app/flowQueue.js';
import type { AdoEmulator } from '../../tools/ado-emulator/server.js';
import { startAzurite, type RunningAzurite } from '../../tools/azurite.js';
import { appEnv, TEST_SECRETS } from '../support/appEnv.js';
import { startChildHost, type ChildHost } from '../support/childHost.js';
import { deliverEvents, uploadModel } from '../support/eventGrid.js';
import { githubDelivery, postDelivery, pushPayload, sha } from '../support/github.js';
import { at, records, responseJson } from '../../tools/json.js';
import { waitFor } from '../../tools/wait.js';
import { drained, ORG, PROJECT, runsCreated, startTestEmulator } from '../support/stack.js';

let azurite: RunningAzurite;
let emulator: AdoEmulator;
let env: Record<string, string | undefined>;
const hosts: ChildHost[] = [];

beforeAll(async () => {
  azurite = await startAzurite();
  emulator = await startTestEmulator();
  env = {
    ...appEnv({ azurite, orgUrl: emulator.orgUrl(ORG) }),
    // The killed worker must still be waiting for its answer when it dies.
    AZURE_DEVOPS_TIMEOUT_SECONDS: '60',
    // The message comes back quickly after the crash (the real host's lease is minutes).
    LOCAL_HOST_QUEUE_LEASE_SECONDS: '2',
  };
});

afterAll(async () => {
  for (const host of hosts) await host.stop();
  await emulator.close();
  await azurite.stop();
});

describe('a worker process killed between run creation and ledger update', () => {
  it('leaves exactly one run after the message is redelivered', async () => {
    const first = await startChildHost(env);
    hosts.push(first);
    const models = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
      env.MODELS_CONTAINER ?? '',
    );
    await models.createIfNotExists();
    const { events } = await uploadModel(models, azurite.blobEndpoint, 'fraud', '1.0.0');
    for (const event of events)
      expect((await deliverEvents(first.url, 'modelUploaded', [event])).status).toBe(200);
    await drained({
      emulator,
      queue: QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient(FLOW_QUEUE),
    });
    const runsBefore = runsCreated(emulator, 1).length;

    // Azure DevOps will create the next run but never answer: the worker waits for it...
    emulator.setFaults({ next: 1, kinds: ['timeout'], methods: ['POST'], pathIncludes: '/pipelines/1/runs' });
    const delivery = githubDelivery(pushPayload({ after: sha('crash-commit') }), TEST_SECRETS.webhook);
    const accepted = await postDelivery(first.url, delivery);
    expect(accepted).toMatchObject({ status: 202, body: { status: 'accepted' } });
    const flowId = String(at(accepted.body, 'flowId'));

    // ...and is killed once the run exists.
    await waitFor(() => emulator.requests().some((request) => request.fault === 'timeout'), {
      what: 'the run request',
    });
    expect(runsCreated(emulator, 1)).toHaveLength(runsBefore + 1);
    await first.crash();

    const second = await startChildHost(env);
    hosts.push(second);
    const flow = await waitFor(
      async () => {
        const response = await responseJson(await fetch(`${second.url}/api/flows/${flowId}`));
        return response.body.status === 'build-started' ? response.body : undefined;
      },
      { timeoutMs: 30_000, what: 'the flow to be build-started after redelivery' },
    );
    expect(runsCreated(emulator, 1)).toHaveLength(runsBefore + 1);
    expect(flow.reason).toBe('adopted the run an earlier attempt created');
    expect(at(flow, 'build', 'id')).toBe(await lastRunId());
    const history = records(flow.history).map((entry) => entry.status);
    expect(history).toEqual(['build-queued', 'build-started']);
    expect(second.output()).toContain('Build adopted');
  });
});

async function lastRunId(): Promise<number> {
  const response = await fetch(`${emulator.orgUrl(ORG)}/${PROJECT}/_apis/pipelines/1/runs?api-version=7.1`, {
    headers: { authorization: `Basic ${Buffer.from(`:${TEST_SECRETS.pat}`).toString('base64')}` },
  });
  const ids = records((await responseJson(response)).body.value).map((run) => Number(run.id));
  return Math.max(...ids);
}
