import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WebApi } from 'azure-devops-node-api';
import { BuildResult, BuildStatus } from 'azure-devops-node-api/interfaces/BuildInterfaces.js';
import { EnvironmentStatus } from 'azure-devops-node-api/interfaces/ReleaseInterfaces.js';
import { isRecord } from '../../tools/json.js';
import { projectIdFor, type AdoEmulator } from '../../tools/ado-emulator/server.js';
import {
  SPEC_FILES,
  VALIDATED_OPERATIONS,
  definitionValidator,
  responseValidator,
} from '../../tools/ado-emulator/spec.js';
import {
  BUILD_PIPELINE,
  ORG,
  PLAIN_PIPELINE,
  PROJECT,
  RELEASE_DEFINITION,
  adoFetch,
  clientFor,
  readConformanceJson,
  shapeDifferences,
  startHookReceiver,
  startSeededEmulator,
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
    event: { publisherId: string; eventType: string; resourceVersion: string; status?: string } = {
      publisherId: 'tfs',
      eventType: 'build.complete',
      resourceVersion: '2.0',
    },
  ) {
    const res = await adoFetch(`${subscriptionsUrl}?api-version=7.1`, {
      method: 'POST',
      body: {
        ...event,
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
    ).runPipeline(
      { templateParameters: pipelineId === BUILD_PIPELINE.id ? { flowId: 'f1' } : {} },
      PROJECT,
      pipelineId,
    );
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
    const fetched = await adoFetch(`${subscriptionsUrl}/${id}?api-version=7.1`);
    expect(fetched.json).toMatchObject({ id });
    // What GET answers can be PUT back (probationRetries is a number, dates, nulls); a new status sticks.
    if (!isRecord(fetched.json)) throw new Error('no subscription');
    const replaced = await adoFetch(`${subscriptionsUrl}/${id}?api-version=7.1`, {
      method: 'PUT',
      body: { ...fetched.json, status: 'disabledByUser' },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.json).toMatchObject({ id, status: 'disabledByUser', probationRetries: 0 });
    // The spec answers DELETE with 200, not 204.
    expect((await adoFetch(`${subscriptionsUrl}/${id}?api-version=7.1`, { method: 'DELETE' })).status).toBe(
      200,
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

    await emulator.deliveriesSettled();
    const [hook] = receiver.received;
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
    await runAndComplete(PLAIN_PIPELINE.id, BuildResult.Succeeded);
    const sentinel = await runAndComplete(BUILD_PIPELINE.id, BuildResult.Succeeded);
    await emulator.deliveriesSettled();
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

    // Settled: every attempt has been made, the retries after each 503 included.
    await emulator.deliveriesSettled();
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
    await emulator.deliveriesSettled();
    expect(emulator.deliveries()[0]).toMatchObject({ status: 400, attempt: 1 });

    emulator.reset();
    await subscribe({});
    receiver.respondWith([503, 503, 503, 503, 503]);
    await runAndComplete(BUILD_PIPELINE.id, BuildResult.Succeeded);
    await emulator.deliveriesSettled();
    expect(emulator.deliveries().map((d) => [d.attempt, d.status])).toEqual([
      [1, 503],
      [2, 503],
      [3, 503],
      [4, 503],
    ]);
  });

  it('keeps every status the spec lists and delivers only to enabled or on-probation subscriptions', async () => {
    const inactive = await subscribe(
      {},
      {},
      {
        publisherId: 'tfs',
        eventType: 'build.complete',
        resourceVersion: '2.0',
        status: 'disabledByInactiveIdentity',
      },
    );
    expect(inactive.json).toMatchObject({ status: 'disabledByInactiveIdentity' });
    const probation = await subscribe(
      {},
      {},
      { publisherId: 'tfs', eventType: 'build.complete', resourceVersion: '2.0', status: 'onProbation' },
    );
    expect(probation.json).toMatchObject({ status: 'onProbation' });
    const buildId = await runAndComplete(BUILD_PIPELINE.id, BuildResult.Succeeded);
    await emulator.deliveriesSettled();
    expect(emulator.deliveries().map((d) => [d.subscriptionId, d.resourceId])).toEqual([
      [probation.id, buildId],
    ]);
  });

  it('refuses subscriptions the spec or the publisher does not allow, naming the input', async () => {
    const post = (body: Record<string, unknown>) =>
      adoFetch(`${subscriptionsUrl}?api-version=7.1`, { method: 'POST', body });
    const base = {
      publisherId: 'tfs',
      eventType: 'build.complete',
      consumerId: 'webHooks',
      consumerActionId: 'httpRequest',
      consumerInputs: { url: receiver.url },
    };
    const numeric = await post({ ...base, publisherInputs: { definitionId: 11 } });
    expect(numeric.status).toBe(400);
    expect(numeric.json).toMatchObject({
      message: expect.stringContaining("'publisherInputs.definitionId' must be string"),
    });
    const status = await post({ ...base, status: 'paused' });
    expect(status.json).toMatchObject({
      message: expect.stringContaining("'status' must be one of enabled, onProbation"),
    });
    const buildStatus = await post({ ...base, publisherInputs: { buildStatus: 'Green' } });
    expect(buildStatus.json).toMatchObject({
      typeKey: 'SubscriptionInputException',
      message: "The publisher input 'buildStatus' has a value that is not valid: 'Green'.",
    });
    const rmStatus = await post({
      ...base,
      publisherId: 'rm',
      eventType: 'ms.vss-release.deployment-completed-event',
      publisherInputs: { releaseEnvironmentStatus: 'Succeeded' },
    });
    expect(rmStatus.json).toMatchObject({ message: expect.stringContaining("'releaseEnvironmentStatus'") });
    const list = await adoFetch(`${subscriptionsUrl}?api-version=7.1`);
    expect(list.json).toMatchObject({ count: 0 });
  });

  it('delivers build.complete shaped like the real resourceVersion 2.0 sample', async () => {
    await subscribe({});
    await runAndComplete(BUILD_PIPELINE.id, BuildResult.Succeeded);
    await emulator.deliveriesSettled();
    const [hook] = receiver.received;
    const sample = readConformanceJson('devops-hooks/azure-devops-docs-events-build.complete.v2.0.json');
    expect(shapeDifferences(sample, hook?.body).filter((d) => !d.startsWith('extra'))).toEqual([]);
  });

  describe('ms.vss-release.deployment-completed-event', () => {
    const DEPLOYMENT = {
      publisherId: 'rm',
      eventType: 'ms.vss-release.deployment-completed-event',
      resourceVersion: '3.0-preview.1',
    };

    async function release(): Promise<number> {
      const buildId = await runAndComplete(BUILD_PIPELINE.id, BuildResult.Succeeded);
      const created = await (
        await api.getReleaseApi()
      ).createRelease(
        {
          definitionId: RELEASE_DEFINITION.id,
          artifacts: [{ alias: 'build', instanceReference: { id: String(buildId) } }],
        },
        PROJECT,
      );
      return created.id ?? 0;
    }

    function complete(releaseId: number, status: string, environment?: string) {
      return adoFetch(`${emulator.url}/_emulator/releases/complete`, {
        method: 'POST',
        auth: null,
        body: { org: ORG, releaseId, status, ...(environment === undefined ? {} : { environment }) },
      });
    }

    it('is delivered once per completed stage to each matching subscription, shaped like the real sample', async () => {
      const { id: subscriptionId } = await subscribe(
        { releaseDefinitionId: String(RELEASE_DEFINITION.id) },
        { httpHeaders: 'X-Source: rm' },
        DEPLOYMENT,
      );
      await subscribe({ releaseDefinitionId: '99' }, {}, DEPLOYMENT); // another definition
      await subscribe({}); // build.complete only
      const releaseId = await release();
      await emulator.deliveriesSettled();
      expect(emulator.deliveries()).toHaveLength(1);
      expect((await complete(releaseId, 'succeeded', 'production')).status).toBe(200);

      await emulator.deliveriesSettled();
      const deliveries = emulator.deliveries().filter((d) => d.eventType === DEPLOYMENT.eventType);
      expect(deliveries.map((d) => [d.subscriptionId, d.resourceId, d.status, d.notificationId])).toEqual([
        [subscriptionId, releaseId, 200, 1],
      ]);
      const hook = receiver.received.find(
        (r) => isRecord(r.body) && r.body.eventType === DEPLOYMENT.eventType,
      );
      expect(hook?.headers.authorization).toBe(
        `Basic ${Buffer.from(`${HOOK_USER}:${HOOK_PASSWORD}`).toString('base64')}`,
      );
      expect(hook?.headers['x-source']).toBe('rm');
      const body = hook?.body;
      expect(body).toMatchObject({
        subscriptionId,
        notificationId: 1,
        eventType: DEPLOYMENT.eventType,
        publisherId: 'rm',
        resourceVersion: '3.0-preview.1',
        resource: {
          environment: {
            name: 'production',
            status: 'succeeded',
            definitionEnvironmentId: 2,
            release: { id: releaseId },
          },
          project: { id: projectId, name: PROJECT },
        },
        message: { text: 'Deployment of release Release-1 on environment production Succeeded.' },
      });

      const sample = readConformanceJson(
        'devops-hooks/azure-devops-docs-events-ms.vss-release.deployment-completed-event.json',
      );
      const differences = shapeDifferences(sample, body);
      expect(differences.filter((d) => !d.startsWith('extra'))).toEqual([]);
      // Beyond the sample: the ids the brief and build hooks carry, and ReleaseEnvironment members of the spec.
      const allowedExtras = [
        'extra (root).subscriptionId',
        'extra (root).notificationId',
        ...releaseEnvironmentProperties().map((p) => `extra (root).resource.environment.${p}`),
        'extra (root).resource.environment.release._links',
      ];
      expect(differences.filter((d) => d.startsWith('extra') && !allowedExtras.includes(d))).toEqual([]);
      const environment = isRecord(body) && isRecord(body.resource) ? body.resource.environment : undefined;
      expect(definitionValidator(SPEC_FILES.releaseFull, 'ReleaseEnvironment')(environment)).toEqual([]);

      // The app re-reads the release: GET shows the stage's status.
      const current = await (await api.getReleaseApi()).getRelease(PROJECT, releaseId);
      expect(current.environments?.find((e) => e.name === 'production')?.status).toBe(
        EnvironmentStatus.Succeeded,
      );
    });

    it('filters on releaseEnvironmentId and releaseEnvironmentStatus, and retries like build hooks', async () => {
      const staging = await subscribe(
        { releaseEnvironmentId: '1', releaseEnvironmentStatus: '16' },
        {},
        DEPLOYMENT,
      );
      const succeeded = await subscribe({ releaseEnvironmentStatus: '4' }, {}, DEPLOYMENT);
      const releaseId = await release();
      receiver.respondWith([503]);
      await complete(releaseId, 'rejected', 'staging');
      await complete(releaseId, 'canceled', 'production');
      await emulator.deliveriesSettled();
      const attempts = emulator.deliveries().filter((d) => d.eventType === DEPLOYMENT.eventType);
      expect(attempts.map((d) => [d.subscriptionId, d.status, d.attempt])).toEqual([
        [staging.id, 503, 1],
        [staging.id, 200, 2],
      ]);
      expect(succeeded.id).not.toBe(staging.id);
    });
  });

  it('answers what the Subscriptions spec describes', async () => {
    const { id } = await subscribe({ buildStatus: 'Failed' });
    const body = {
      publisherId: 'tfs',
      eventType: 'build.complete',
      consumerId: 'webHooks',
      consumerActionId: 'httpRequest',
      consumerInputs: { url: receiver.url, basicAuthPassword: '********' },
    };
    const checks: [string, string, unknown, (json: unknown) => string[]][] = [
      ['GET', subscriptionsUrl, undefined, hooksOp('get', '')],
      ['GET', `${subscriptionsUrl}/${id}`, undefined, hooksOp('get', '/{subscriptionId}')],
      ['PUT', `${subscriptionsUrl}/${id}`, body, responseValidator(VALIDATED_OPERATIONS.replaceSubscription)],
      ['POST', subscriptionsUrl, body, responseValidator(VALIDATED_OPERATIONS.createSubscription)],
    ];
    for (const [method, url, json, validate] of checks) {
      const res = await adoFetch(`${url}?api-version=7.1`, { method, body: json });
      expect(res.status, `${method} ${url}`).toBe(200);
      expect(validate(res.json), `${method} ${url}`).toEqual([]);
    }
  });
});

function releaseEnvironmentProperties(): string[] {
  const spec = readConformanceJson(SPEC_FILES.releaseFull);
  const environment =
    isRecord(spec) && isRecord(spec.definitions) ? spec.definitions.ReleaseEnvironment : undefined;
  return isRecord(environment) && isRecord(environment.properties) ? Object.keys(environment.properties) : [];
}

function hooksOp(method: 'get', suffix: string) {
  return responseValidator({
    spec: SPEC_FILES.hooks,
    method,
    path: `/{organization}/_apis/hooks/subscriptions${suffix}`,
  });
}
