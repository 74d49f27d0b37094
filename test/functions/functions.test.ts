/**
 * The exported function definitions invoked directly, as the Functions host would:
 * `new HttpRequest(...)`, `new InvocationContext(...)`, Azurite for storage and the emulator
 * for Azure DevOps. What the function hands to the queue output binding is checked too.
 */
import functions from '@azure/functions';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { flowQueueOutput } from '../../src/app/flowQueue.js';
import { parseFlowMessage } from '../../src/core/flowMessage.js';
import { flowWorker } from '../../src/functions/flowWorker.js';
import { githubPush } from '../../src/functions/githubPush.js';
import { modelUploaded } from '../../src/functions/modelUploaded.js';
import { serviceHook } from '../../src/functions/serviceHook.js';
import type { AdoEmulator } from '../../tools/ado-emulator/server.js';
import { appEnv, TEST_SECRETS, useAppEnv } from '../support/appEnv.js';
import { eventGridTriggerEvent, uploadModel } from '../support/eventGrid.js';
import { githubDelivery, pushPayload, sha } from '../support/github.js';
import { freshContainer } from '../support/storage.js';
import { ORG, runsCreated, startTestEmulator } from '../support/stack.js';

const { HttpRequest, InvocationContext } = functions;

let emulator: AdoEmulator;
const logs: string[] = [];

function context(name: string, triggerMetadata: Record<string, unknown> = {}) {
  return new InvocationContext({
    invocationId: crypto.randomUUID(),
    functionName: name,
    triggerMetadata,
    logHandler: (_level, ...args) => logs.push(args.map(String).join(' ')),
  });
}

function queued(invocation: InstanceType<typeof InvocationContext>) {
  const value: unknown = invocation.extraOutputs.get(flowQueueOutput);
  return (Array.isArray(value) ? value : []).map(parseFlowMessage);
}

beforeAll(async () => {
  emulator = await startTestEmulator();
  useAppEnv(appEnv({ azurite: inject('azurite'), orgUrl: emulator.orgUrl(ORG) }));
});
afterAll(async () => {
  await emulator.close();
});

describe('function definitions invoked directly', () => {
  it('githubPush: a signed push before any model is recorded as waiting, queues nothing', async () => {
    const delivery = githubDelivery(pushPayload({ after: sha('direct-1') }), TEST_SECRETS.webhook);
    const invocation = context('githubPush');
    const request = new HttpRequest({
      method: 'POST',
      url: 'http://localhost/api/github',
      headers: delivery.headers,
      body: { string: delivery.body },
    });
    const response = await githubPush.options.handler(request, invocation);
    expect(response).toMatchObject({ status: 202, jsonBody: { status: 'waiting-for-model' } });
    expect(queued(invocation)).toEqual([]);
  });

  it('modelUploaded → flowWorker: the manifest queues one build message, the worker starts one run', async () => {
    const env = process.env;
    const models = await freshContainer('models');
    useAppEnv({ ...env, MODELS_CONTAINER: models.containerName });
    const endpoint = models.url.slice(0, models.url.lastIndexOf('/'));
    const { events } = await uploadModel(models, endpoint, 'fraud', '3.0.0');
    const manifest = events.at(-1);
    if (manifest === undefined) throw new Error('no manifest event');
    const invocation = context('modelUploaded');
    // The host hands the handler the event object as Event Grid sent it.
    await modelUploaded.options.handler(eventGridTriggerEvent(manifest), invocation);
    const messages = queued(invocation);
    // The push waiting above is built too, with the same flow as the model's own build.
    expect(messages.length).toBeGreaterThanOrEqual(1);
    const message = messages[0];
    expect(message).toMatchObject({ v: 1, kind: 'build', delivery: { source: 'eventgrid' } });

    const before = runsCreated(emulator, 1).length;
    await flowWorker.options.handler(message, context('flowWorker', { id: 'message-1', dequeueCount: 1 }));
    await flowWorker.options.handler(message, context('flowWorker', { id: 'message-2', dequeueCount: 1 }));
    expect(runsCreated(emulator, 1).slice(before)).toHaveLength(1);
  });

  it('serviceHook: refuses bad credentials without queueing, queues a build-completed message otherwise', async () => {
    const body = JSON.stringify({
      subscriptionId: 's',
      notificationId: 7,
      eventType: 'build.complete',
      resource: { id: 1 },
    });
    const refused = context('serviceHook');
    const bad = new HttpRequest({
      method: 'POST',
      url: 'http://localhost/api/devops/service-hook',
      headers: { authorization: 'Basic eDp5' },
      body: { string: body },
    });
    expect(await serviceHook.options.handler(bad, refused)).toMatchObject({ status: 401 });
    expect(queued(refused)).toEqual([]);

    const accepted = context('serviceHook');
    const authorization = `Basic ${Buffer.from(`azure-devops:${TEST_SECRETS.serviceHookPassword}`).toString('base64')}`;
    const good = new HttpRequest({
      method: 'POST',
      url: 'http://localhost/api/devops/service-hook',
      headers: { authorization },
      body: { string: body },
    });
    expect(await serviceHook.options.handler(good, accepted)).toMatchObject({ status: 202 });
    expect(queued(accepted)).toEqual([
      { v: 1, kind: 'build-completed', buildId: 1, delivery: { source: 'servicehook', id: 's:7' } },
    ]);
  });
});
