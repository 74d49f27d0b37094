import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SECRETS } from '../support/appEnv.js';
import { at, record, records, responseJson, type JsonObject } from '../../tools/json.js';
import { blobCreatedEvent, deliverEvents } from '../support/eventGrid.js';
import { githubDelivery, postDelivery, pushPayload, sha } from '../support/github.js';
import { waitFor } from '../../tools/wait.js';
import {
  drained,
  finishBuild,
  newestBuildId,
  publishModel,
  releasesCreated,
  runsCreated,
  startStack,
  type Stack,
} from '../support/stack.js';

interface RunBody {
  readonly templateParameters: Record<string, string>;
  readonly resources?: Record<string, unknown>;
}

function isRunBody(value: unknown): value is RunBody {
  return typeof value === 'object' && value !== null && 'templateParameters' in value;
}

let stack: Stack;

async function getJson(path: string): Promise<{ status: number; body: JsonObject }> {
  const response = await fetch(`${stack.host.url}${path}`);
  return responseJson(response);
}

async function pushCommit(commit: string, pushedAt: number): Promise<JsonObject> {
  const delivery = githubDelivery(pushPayload({ after: commit, pushedAt }), TEST_SECRETS.webhook);
  const { body } = await postDelivery(stack.host.url, delivery);
  await drained(stack);
  return record(body);
}

async function publish(version: string): Promise<void> {
  await publishModel(stack, version, {
    files: [
      { path: 'model.onnx', content: `weights ${version}` },
      { path: 'labels.txt', content: 'legit\nfraud\n' },
    ],
  });
}

function lastRun(pipelineId: number): RunBody {
  const body = runsCreated(stack.emulator, pipelineId).at(-1)?.body;
  if (!isRunBody(body)) throw new Error('no run');
  return body;
}

beforeAll(async () => {
  stack = await startStack();
  await pushCommit(sha('c1'), 1795000000);
});
afterAll(async () => {
  await stack.stop();
});

describe('model upload → build → service hook → release (pipeline mode)', () => {
  it('starts nothing for model files that arrive before their manifest, then one build when it does', async () => {
    await stack.models.getBlockBlobClient('fraud/1.4.0/model.onnx').upload('w', 1);
    const fileEvent = blobCreatedEvent({
      container: stack.models.containerName,
      blobPath: 'fraud/1.4.0/model.onnx',
      blobEndpoint: stack.urls.blob,
    });
    expect((await deliverEvents(stack.host.url, 'modelUploaded', [fileEvent])).status).toBe(200);
    await drained(stack);
    expect(runsCreated(stack.emulator, 1)).toHaveLength(0);

    await publish('1.4.0');
    expect(runsCreated(stack.emulator, 1)).toHaveLength(1);
    expect(lastRun(1).templateParameters).toMatchObject({
      modelName: 'fraud',
      modelVersion: '1.4.0',
      commit: sha('c1'),
      trigger: 'model',
    });
  });

  it('releases the build when it succeeds, exactly once, with the build as the deploy pipeline resource', async () => {
    const buildId = await newestBuildId(stack);
    await finishBuild(stack, buildId, 'succeeded');
    await waitFor(() => releasesCreated(stack.emulator, 'pipeline').length === 1, {
      what: 'one release run',
    });
    const release = lastRun(2);
    expect(release.templateParameters).toEqual({
      buildId: String(buildId),
      imageTag: String(buildId),
      modelName: 'fraud',
      modelVersion: '1.4.0',
      commit: sha('c1'),
      flowId: expect.stringMatching(/^[0-9a-f]{20}$/),
    });
    expect(release.resources).toEqual({ pipelines: { build: { runId: buildId } } });
    expect(stack.emulator.deliveries().find((delivery) => delivery.resourceId === buildId)?.status).toBe(202);
  });

  it('marks the flow released when its deploy run succeeds', async () => {
    const deployRunId = Number(at((await getJson('/api/flows/current')).body, 'release', 'id'));
    await finishBuild(stack, deployRunId, 'succeeded');
    const current = await getJson('/api/flows/current');
    expect(current.body).toMatchObject({ status: 'released', release: { id: deployRunId } });
  });

  it('answers GET /api/flows/current with the released flow, and the flow with its whole chain', async () => {
    const current = await getJson('/api/flows/current');
    expect(current.status).toBe(200);
    expect(current.body).toMatchObject({
      status: 'released',
      model: { name: 'fraud', version: '1.4.0' },
      commit: sha('c1'),
      build: { result: 'succeeded' },
      release: { mode: 'pipeline', id: expect.any(Number) },
    });
    const byId = await getJson(`/api/flows/${String(current.body.flowId)}`);
    expect(byId.body.flowId).toBe(current.body.flowId);
  });

  it('builds a later push with the promoted model', async () => {
    const response = await pushCommit(sha('c2'), 1795000100);
    expect(response).toMatchObject({ status: 'accepted' });
    expect(lastRun(1).templateParameters).toMatchObject({
      commit: sha('c2'),
      modelVersion: '1.4.0',
      trigger: 'push',
    });
  });

  it('does not release a failed build', async () => {
    const before = releasesCreated(stack.emulator, 'pipeline').length;
    const buildId = await newestBuildId(stack);
    await finishBuild(stack, buildId, 'failed');
    expect(releasesCreated(stack.emulator, 'pipeline')).toHaveLength(before);
    const flows = await getJson('/api/flows?limit=5');
    const flowsList = records(flows.body.flows);
    expect(flowsList.find((flow) => flow.build !== null && at(flow, 'build', 'id') === buildId)?.status).toBe(
      'build-failed',
    );
  });

  it('releases only the newer of two builds that complete out of order', async () => {
    await pushCommit(sha('c3'), 1795000200);
    const older = await newestBuildId(stack);
    await pushCommit(sha('c4'), 1795000300);
    const newer = await newestBuildId(stack);
    const before = releasesCreated(stack.emulator, 'pipeline').length;
    await finishBuild(stack, newer, 'succeeded');
    await waitFor(() => releasesCreated(stack.emulator, 'pipeline').length === before + 1, {
      what: 'release of the newer build',
    });
    await finishBuild(stack, older, 'succeeded');
    expect(releasesCreated(stack.emulator, 'pipeline')).toHaveLength(before + 1);
    expect(lastRun(2).templateParameters.buildId).toBe(String(newer));
    const flows = records((await getJson('/api/flows?limit=10')).body.flows);
    expect(flows.find((flow) => flow.build !== null && at(flow, 'build', 'id') === older)?.status).toBe(
      'superseded',
    );
  });

  it('marks the flow failed (DEPLOYMENT_FAILED) when its deploy run fails', async () => {
    const releasing = await getJson('/api/flows/current');
    expect(releasing.body).toMatchObject({ status: 'releasing', release: { mode: 'pipeline' } });
    const deployRunId = Number(at(releasing.body, 'release', 'id'));
    await finishBuild(stack, deployRunId, 'failed');
    const current = await getJson('/api/flows/current');
    expect(current.body).toMatchObject({
      flowId: releasing.body.flowId,
      status: 'failed',
      reason: 'deployment failed',
      release: { id: deployRunId },
      lastError: { code: 'DEPLOYMENT_FAILED' },
    });
  });

  it('records an older model version without building it', async () => {
    const before = runsCreated(stack.emulator, 1).length;
    await publish('1.3.9');
    expect(runsCreated(stack.emulator, 1)).toHaveLength(before);
    const flows = records((await getJson('/api/flows?limit=3')).body.flows);
    expect(flows[0]).toMatchObject({
      model: { version: '1.3.9' },
      status: 'skipped',
      reason: expect.stringContaining('older-than-current'),
    });
  });

  it('lists flows newest first with a continuation token', async () => {
    const first = await getJson('/api/flows?limit=2');
    expect(records(first.body.flows)).toHaveLength(2);
    expect(typeof first.body.continuationToken).toBe('string');
    const second = await getJson(
      `/api/flows?limit=2&continuationToken=${encodeURIComponent(String(first.body.continuationToken))}`,
    );
    expect(records(second.body.flows).length).toBeGreaterThan(0);
    expect(await getJson('/api/flows?limit=0')).toMatchObject({ status: 400 });
    expect(await getJson('/api/flows/not-a-flow')).toMatchObject({ status: 400 });
    expect(await getJson(`/api/flows/${'0'.repeat(20)}`)).toMatchObject({ status: 404 });
  });
});
