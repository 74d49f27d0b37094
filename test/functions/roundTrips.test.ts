/**
 * Round trips per push, counted (issue: "fewer round trips"). Each blob request is a network
 * round trip and a billed transaction; a proxy in front of Azurite counts them while the
 * functions run as the host runs them. Goal: at most 4 on the accept path (githubPush) and 7
 * in all per push (with the worker starting the build), and one Azure DevOps request per build.
 */
import functions from '@azure/functions';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { flowQueueOutput } from '../../src/app/flowQueue.js';
import { flowWorker } from '../../src/functions/flowWorker.js';
import { githubPush } from '../../src/functions/githubPush.js';
import { modelUploaded } from '../../src/functions/modelUploaded.js';
import type { AdoEmulator } from '../../tools/ado-emulator/server.js';
import { appEnv, TEST_SECRETS, useAppEnv } from '../support/appEnv.js';
import { startCountingProxy, type CountingProxy } from '../support/countingProxy.js';
import { eventGridTriggerEvent, uploadModel } from '../support/eventGrid.js';
import { githubDelivery, pushPayload, sha } from '../support/github.js';
import { freshContainer } from '../support/storage.js';
import { ORG, startTestEmulator } from '../support/stack.js';

const { HttpRequest, InvocationContext } = functions;

let emulator: AdoEmulator;
let proxy: CountingProxy;

function context(name: string, triggerMetadata: Record<string, unknown> = {}) {
  return new InvocationContext({ invocationId: crypto.randomUUID(), functionName: name, triggerMetadata });
}

function queued(invocation: InstanceType<typeof InvocationContext>): unknown[] {
  const value: unknown = invocation.extraOutputs.get(flowQueueOutput);
  return Array.isArray(value) ? value : [];
}

/** One push through the functions: the blob requests of accepting it, then of starting its build. */
async function push(
  n: number,
): Promise<{ readonly accept: number; readonly build: number; readonly ado: number }> {
  const delivery = githubDelivery(
    pushPayload({ after: sha(`round-trips-${n}`), pushedAt: 1_800_000_000 + n }),
    TEST_SECRETS.webhook,
  );
  proxy.requests.length = 0;
  const accepting = context('githubPush');
  const response = await githubPush.options.handler(
    new HttpRequest({
      method: 'POST',
      url: 'http://localhost/api/github',
      headers: delivery.headers,
      body: { string: delivery.body },
    }),
    accepting,
  );
  expect(response).toMatchObject({ status: 202, jsonBody: { status: 'accepted' } });
  const accept = proxy.requests.length;
  const [message] = queued(accepting);
  proxy.requests.length = 0;
  const adoBefore = emulator.requests().length;
  await flowWorker.options.handler(message, context('flowWorker', { id: `message-${n}`, dequeueCount: 1 }));
  const ado = emulator
    .requests()
    .slice(adoBefore)
    .filter((request) => request.method !== 'OPTIONS').length;
  return { accept, build: proxy.requests.length, ado };
}

beforeAll(async () => {
  emulator = await startTestEmulator();
  const azurite = inject('azurite');
  proxy = await startCountingProxy(azurite.blobEndpoint);
  const models = await freshContainer('models');
  useAppEnv(
    appEnv({
      // Blob through the proxy; queues straight to Azurite (the host's, not counted here).
      azurite: { connectionString: azurite.connectionString.replace(azurite.blobEndpoint, proxy.endpoint) },
      orgUrl: emulator.orgUrl(ORG),
      overrides: { MODELS_CONTAINER: models.containerName },
    }),
  );
  // A current model, and a first push to warm up (container checks, Azure DevOps discovery).
  // The events name the blob as the app sees it: through the proxy.
  const { events } = await uploadModel(models, proxy.endpoint, 'fraud', '1.0.0');
  const manifest = events.at(-1);
  if (manifest === undefined) throw new Error('no manifest event');
  const uploaded = context('modelUploaded');
  await modelUploaded.options.handler(eventGridTriggerEvent(manifest), uploaded);
  for (const message of queued(uploaded))
    await flowWorker.options.handler(message, context('flowWorker', { id: 'model', dequeueCount: 1 }));
  await push(0);
});
afterAll(async () => {
  await proxy.close();
  await emulator.close();
});

describe('round trips per push, with a current model', () => {
  it('accepts each of 20 pushes in at most 4 blob requests, and starts its build in at most 7 in all and 1 Azure DevOps request', async () => {
    const counts = [];
    for (let n = 1; n <= 20; n++) counts.push(await push(n));
    console.log(
      `blob requests per push: accept ${Math.max(...counts.map((c) => c.accept))}, ` +
        `accept + build ${Math.max(...counts.map((c) => c.accept + c.build))}; Azure DevOps requests per build ${Math.max(...counts.map((c) => c.ado))}`,
    );
    expect(counts.every((count) => count.accept <= 4)).toBe(true);
    expect(counts.every((count) => count.accept + count.build <= 7)).toBe(true);
    expect(counts.every((count) => count.ado === 1)).toBe(true);
  });
});
