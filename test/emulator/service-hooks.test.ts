import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WebApi } from 'azure-devops-node-api';
import { BuildResult, BuildStatus } from 'azure-devops-node-api/interfaces/BuildInterfaces.js';
import { isRecord } from '../../tools/ado-emulator/json.js';
import { projectIdFor, type AdoEmulator } from '../../tools/ado-emulator/server.js';
import {
  BUILD_PIPELINE,
  ORG,
  PROJECT,
  RELEASE_PIPELINE,
  adoFetch,
  clientFor,
  startHookReceiver,
  startSeededEmulator,
  waitFor,
  type HookReceiver,
} from './support.js';

const HOOK_USER = 'hook-user';
const HOOK_PASSWORD = 'hook-secret';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('ADO emulator: service hooks', () => {
  let emulator: AdoEmulator;
  let api: WebApi;
  let receiver: HookReceiver;
  let subscriptionsUrl: string;
  const projectId = projectIdFor(ORG, PROJECT);

  beforeAll(async () => {
    emulator = await startSeededEmulator();
    api = clientFor(emulator);
    subscriptionsUrl = `${emulator.orgUrl(ORG)}/_apis/hooks/subscriptions`;
  });
  afterAll(async () => {
    await emulator.close();
  });
  beforeEach(async () => {
    emulator.reset();
    receiver = await startHookReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  async function subscribe(
    publisherInputs: Record<string, string>,
    extraConsumerInputs: Record<string, string> = {},
  ) {
    const res = await adoFetch(`${subscriptionsUrl}?api-version=7.1`, {
      method: 'POST',
      body: {
        publisherId: 'tfs',
        eventType: 'build.complete',
        resourceVersion: '2.0',
        consumerId: 'webHooks',
        consumerActionId: 'httpRequest',
        publisherInputs: { projectId, ...publisherInputs },
        consumerInputs: {
          url: receiver.url,
          basicAuthUsername: HOOK_USER,
          basicAuthPassword: HOOK_PASSWORD,
          resourceDetailsToSend: 'all',
          ...extraConsumerInputs,
        },
      },
    });
    expect(res.status).toBe(200);
    if (!isRecord(res.json) || typeof res.json.id !== 'string') throw new Error('subscription has no id');
    return { id: res.json.id, json: res.json };
  }

  async function runAndComplete(pipelineId: number, result: BuildResult): Promise<number> {
    const run = await (
      await api.getPipelinesApi()
    ).runPipeline({ templateParameters: { flowId: 'f1' } }, PROJECT, pipelineId);
    const id = run.id ?? 0;
    await (await api.getBuildApi()).updateBuild({ status: BuildStatus.Completed, result }, PROJECT, id);
    return id;
  }

  it('creates, lists, gets and deletes subscriptions with the ADO shape (secrets masked)', async () => {
    const { id, json } = await subscribe({ buildStatus: 'Succeeded', definitionName: BUILD_PIPELINE.name });
    expect(id).toMatch(GUID);
    expect(json).toMatchObject({
      publisherId: 'tfs',
      eventType: 'build.complete',
      resourceVersion: '2.0',
      consumerId: 'webHooks',
      consumerActionId: 'httpRequest',
      status: 'enabled',
      publisherInputs: { projectId, buildStatus: 'Succeeded', definitionName: BUILD_PIPELINE.name },
      consumerInputs: { url: receiver.url, basicAuthUsername: HOOK_USER, basicAuthPassword: '********' },
    });
    expect(typeof json.createdDate).toBe('string');

    const list = await adoFetch(`${subscriptionsUrl}?api-version=7.1`);
    expect(list.json).toMatchObject({ count: 1, value: [{ id }] });
    expect((await adoFetch(`${subscriptionsUrl}/${id}?api-version=7.1`)).json).toMatchObject({ id });
    expect((await adoFetch(`${subscriptionsUrl}/${id}?api-version=7.1`, { method: 'DELETE' })).status).toBe(
      204,
    );
    const gone = await adoFetch(`${subscriptionsUrl}/${id}?api-version=7.1`);
    expect(gone.status).toBe(404);
    expect(gone.json).toMatchObject({ $id: '1', typeKey: 'SubscriptionNotFoundException' });

    const invalid = await adoFetch(`${subscriptionsUrl}?api-version=7.1`, {
      method: 'POST',
      body: {
        publisherId: 'tfs',
        eventType: 'build.complete',
        consumerId: 'webHooks',
        consumerActionId: 'httpRequest',
        consumerInputs: { url: 'not a url' },
      },
    });
    expect(invalid.status).toBe(400);
  });

  it('delivers exactly one build.complete with basic auth and the documented payload shape', async () => {
    const { id: subscriptionId } = await subscribe(
      { buildStatus: 'Succeeded', definitionName: BUILD_PIPELINE.name },
      { httpHeaders: 'X-Flow-Source: ado-emulator' },
    );
    const buildId = await runAndComplete(BUILD_PIPELINE.id, BuildResult.Succeeded);

    const [hook] = await waitFor(() => receiver.received.length >= 1 && receiver.received, 'the first hook');
    expect(hook?.method).toBe('POST');
    expect(hook?.path).toBe('/hooks/ado');
    expect(hook?.headers.authorization).toBe(
      `Basic ${Buffer.from(`${HOOK_USER}:${HOOK_PASSWORD}`).toString('base64')}`,
    );
    expect(hook?.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(hook?.headers['x-flow-source']).toBe('ado-emulator');
    const body = hook?.body;
    expect(body).toMatchObject({
      subscriptionId,
      notificationId: 1,
      eventType: 'build.complete',
      publisherId: 'tfs',
      resourceVersion: '2.0',
      resource: {
        id: buildId,
        status: 'completed',
        result: 'succeeded',
        definition: { id: BUILD_PIPELINE.id, name: BUILD_PIPELINE.name },
        project: { id: projectId, name: PROJECT },
        sourceBranch: 'refs/heads/main',
        templateParameters: { flowId: 'f1' },
        _links: { web: { href: `${emulator.orgUrl(ORG)}/${PROJECT}/_build/results?buildId=${buildId}` } },
      },
      resourceContainers: { project: { id: projectId } },
    });
    if (!isRecord(body) || !isRecord(body.resource)) throw new Error('payload has no resource');
    expect(body.id).toMatch(GUID);
    expect(typeof body.resource.buildNumber).toBe('string');
    expect(body.resource.sourceVersion).toMatch(/^[0-9a-f]{40}$/);
    expect(new Date(String(body.resource.finishTime)).getTime()).toBeGreaterThanOrEqual(
      new Date(String(body.resource.queueTime)).getTime(),
    );
    expect(typeof body.createdDate).toBe('string');
    expect(isRecord(body.detailedMessage)).toBe(true);
    expect(body.message).toMatchObject({ text: `Build ${String(body.resource.buildNumber)} succeeded` });

    // Completing the same build again is not a transition: no second event. Filters drop a failed build
    // and a build of another definition. A sentinel build proves the dispatcher has caught up.
    await (
      await api.getBuildApi()
    ).updateBuild({ status: BuildStatus.Completed, result: BuildResult.Succeeded }, PROJECT, buildId);
    await runAndComplete(BUILD_PIPELINE.id, BuildResult.Failed);
    await runAndComplete(RELEASE_PIPELINE.id, BuildResult.Succeeded);
    const sentinel = await runAndComplete(BUILD_PIPELINE.id, BuildResult.Succeeded);
    await waitFor(() => receiver.received.length >= 2, 'the sentinel hook');
    const resourceIds = receiver.received.map((r) =>
      isRecord(r.body) && isRecord(r.body.resource) ? r.body.resource.id : undefined,
    );
    expect(resourceIds).toEqual([buildId, sentinel]);
    expect(emulator.deliveries().map((d) => [d.resourceId, d.status, d.attempt, d.notificationId])).toEqual([
      [buildId, 200, 1, 1],
      [sentinel, 200, 1, 2],
    ]);
  });

  it('retries a delivery answered with 503 and records every attempt', async () => {
    const { id: subscriptionId } = await subscribe({});
    receiver.respondWith([503, 503]);
    const buildId = await runAndComplete(BUILD_PIPELINE.id, BuildResult.Failed);

    await waitFor(() => emulator.deliveries().some((d) => d.status === 200), 'a successful attempt');
    const attempts = emulator.deliveries();
    expect(attempts.map((d) => [d.attempt, d.status])).toEqual([
      [1, 503],
      [2, 503],
      [3, 200],
    ]);
    expect(attempts.every((d) => d.subscriptionId === subscriptionId && d.notificationId === 1)).toBe(true);
    expect(attempts.every((d) => d.eventType === 'build.complete' && d.url === receiver.url)).toBe(true);
    expect(receiver.received).toHaveLength(3);
    const eventIds = new Set(receiver.received.map((r) => (isRecord(r.body) ? r.body.id : undefined)));
    expect(eventIds.size).toBe(1);
    expect(receiver.received[0]?.body).toMatchObject({ resource: { id: buildId, result: 'failed' } });

    const control = await adoFetch(`${emulator.url}/_emulator/deliveries`, { auth: null });
    expect(control.json).toMatchObject({ count: 3 });
  });

  it('does not retry a 4xx answer and gives up after the last retry on persistent 503', async () => {
    await subscribe({});
    receiver.respondWith([400]);
    await runAndComplete(BUILD_PIPELINE.id, BuildResult.Succeeded);
    await waitFor(() => emulator.deliveries().length === 1, 'the 400 attempt');
    expect(emulator.deliveries()[0]).toMatchObject({ status: 400, attempt: 1 });

    emulator.reset();
    await subscribe({});
    receiver.respondWith([503, 503, 503, 503, 503]);
    await runAndComplete(BUILD_PIPELINE.id, BuildResult.Succeeded);
    await waitFor(() => emulator.deliveries().length === 4, 'four attempts');
    expect(emulator.deliveries().map((d) => [d.attempt, d.status])).toEqual([
      [1, 503],
      [2, 503],
      [3, 503],
      [4, 503],
    ]);
  });
});
