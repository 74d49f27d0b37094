/**
 * The operator's day as child processes against the sandbox: publish a model (the app builds it),
 * refuse a version twice, promote an older version back (pushes then build with it), roll back to
 * the previous release (no rebuild), read the flows, replay the poison queue. Every effect is
 * checked where it lands: the models container, the emulator's runs, `GET /api/flows`.
 */
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLOW_POISON_QUEUE } from '../../src/app/flowQueue.js';
import { flowIdOf } from '../../src/core/flowId.js';
import { parseManifest } from '../../src/core/modelUpload.js';
import { listBuilds, type BuildInfo } from '../../tools/sandbox/ado.js';
import { arrayAt, isRecord, objectAt, stringAt, type JsonObject } from '../../tools/json.js';
import { randomSha, sendPush } from '../../tools/sandbox/push.js';
import type { Sandbox } from '../../tools/sandbox/sandbox.js';
import { apiFlows, cliEnv, completeRun, jsonOf, quietSandbox, runCli, waitFor } from './support.js';

/** The model folders this file makes, removed at the end. */
const FOLDERS = mkdtempSync(join(tmpdir(), 'ai-app-cicd-models-'));
let sandbox: Sandbox;
let models: ContainerClient;
let env: Readonly<Record<string, string>>;
const MODEL = 'demo';

beforeAll(async () => {
  sandbox = await quietSandbox();
  env = cliEnv(sandbox);
  models = BlobServiceClient.fromConnectionString(sandbox.secrets.storageConnectionString).getContainerClient(
    sandbox.env.MODELS_CONTAINER ?? 'models',
  );
}, 60_000);

afterAll(async () => {
  await sandbox.stop();
  rmSync(FOLDERS, { recursive: true, force: true });
});

/** A model version's folder: two files (one in a subfolder) and a hidden one that is left out. */
function modelFolder(): string {
  const dir = mkdtempSync(join(FOLDERS, 'model-'));
  writeFileSync(join(dir, 'model.onnx'), randomBytes(200_000));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'assets', 'labels.txt'), 'cat\ndog\n');
  writeFileSync(join(dir, '.DS_Store'), 'finder');
  return dir;
}

async function blobsOf(prefix: string) {
  const found = [];
  for await (const blob of models.listBlobsFlat({ prefix, includeMetadata: true })) found.push(blob);
  return found;
}

async function buildOf(version: string, commit?: string): Promise<BuildInfo> {
  return waitFor(
    async () =>
      (await listBuilds(sandbox.ado, sandbox.knobs.buildPipelineId)).find(
        (build) =>
          build.templateParameters.modelVersion === version &&
          (commit === undefined || build.sourceVersion === commit),
      ),
    {
      what: `a build of ${MODEL} ${version}${commit === undefined ? '' : ` at ${commit}`}`,
      timeoutMs: 20_000,
    },
  );
}

async function flowOf(flowId: string, status?: string): Promise<JsonObject> {
  return waitFor(
    async () =>
      (await apiFlows(sandbox)).find(
        (flow) => flow.flowId === flowId && (status === undefined || flow.status === status),
      ),
    { what: `flow ${flowId}${status === undefined ? '' : ` ${status}`}`, timeoutMs: 20_000 },
  );
}

/** Completes the build and then its release: the flow ends `released`. */
async function release(build: BuildInfo): Promise<JsonObject> {
  const flowId = build.templateParameters.flowId ?? '';
  await completeRun(sandbox, build.id);
  const releasing = await flowOf(flowId, 'releasing');
  await completeRun(sandbox, Number(objectAt(releasing, 'release')?.id));
  return flowOf(flowId, 'released');
}

function historyOf(flow: JsonObject): readonly JsonObject[] {
  return (arrayAt(flow, 'history') ?? []).filter(isRecord);
}

let flowA: JsonObject;
let flowB: JsonObject;

describe('publish-model', () => {
  it('uploads every file, then model.json last, and the app builds that version', async () => {
    const dir = modelFolder();
    const result = await runCli(['publish-model', dir, '--version', '1.0.0', '--json'], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(jsonOf(result)).toMatchObject({
      ok: true,
      name: MODEL,
      version: '1.0.0',
      files: 2,
      manifest: { path: `${MODEL}/1.0.0/model.json` },
      skipped: ['.DS_Store'],
    });

    const blobs = await blobsOf(`${MODEL}/1.0.0/`);
    expect(blobs.map((blob) => blob.name).sort()).toEqual([
      `${MODEL}/1.0.0/assets/labels.txt`,
      `${MODEL}/1.0.0/model.json`,
      `${MODEL}/1.0.0/model.onnx`,
    ]);
    const manifestBlob = blobs.find((blob) => blob.name.endsWith('/model.json'));
    const manifest = parseManifest(
      JSON.parse(
        (await models.getBlobClient(`${MODEL}/1.0.0/model.json`).downloadToBuffer()).toString('utf8'),
      ),
    );
    if (!manifest.ok) throw new Error(manifest.problem);
    for (const file of manifest.manifest.files) {
      const bytes = await models.getBlobClient(`${MODEL}/1.0.0/${file.path}`).downloadToBuffer();
      expect(bytes.length).toBe(file.size);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
      const blob = blobs.find((item) => item.name === `${MODEL}/1.0.0/${file.path}`);
      expect(blob?.metadata?.sha256).toBe(file.sha256);
      expect(manifestBlob?.properties.lastModified.getTime()).toBeGreaterThanOrEqual(
        blob?.properties.lastModified.getTime() ?? Infinity,
      );
    }

    const build = await buildOf('1.0.0');
    expect(build.templateParameters).toMatchObject({
      modelName: MODEL,
      modelVersion: '1.0.0',
      trigger: 'model',
    });
    flowA = await release(build);
  });

  it('refuses a version that exists, uploading nothing (not even a file it did not have)', async () => {
    const before = await blobsOf(`${MODEL}/1.0.0/`);
    const dir = modelFolder();
    // Sorted first: without the version check it would be uploaded before any conflict showed.
    writeFileSync(join(dir, '0-extra.bin'), 'one more file');
    const result = await runCli(['publish-model', dir, '--version', '1.0.0', '--json'], { env });
    expect(result.code).toBe(1);
    expect(jsonOf(result)).toMatchObject({ ok: false, error: { code: 'VERSION_EXISTS' } });
    expect(result.stderr).toMatch(/^ai-app-cicd: demo 1\.0\.0 exists already .*versions are immutable/);
    const after = await blobsOf(`${MODEL}/1.0.0/`);
    expect(after.map((blob) => [blob.name, blob.properties.etag])).toEqual(
      before.map((blob) => [blob.name, blob.properties.etag]),
    );
  });

  it('refuses a folder with a model.json of its own, or an unsafe file name, before uploading', async () => {
    const own = modelFolder();
    writeFileSync(join(own, 'model.json'), '{}');
    const first = await runCli(['publish-model', own, '--version', '9.0.0'], { env });
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('has a model.json of its own');
    const unsafe = modelFolder();
    writeFileSync(join(unsafe, 'a file with spaces.bin'), 'x');
    const second = await runCli(['publish-model', unsafe, '--version', '9.0.0'], { env });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('the manifest would be refused');
    expect(await blobsOf(`${MODEL}/9.0.0/`)).toEqual([]);
  });
});

describe('promote', () => {
  it('moves the current model back to an older version on the operator’s word, builds it on the head, and pushes follow it', async () => {
    const published = await runCli(['publish-model', modelFolder(), '--version', '2.0.0'], { env });
    expect(published.code, published.stderr).toBe(0);
    flowB = await release(await buildOf('2.0.0'));
    const head = randomSha();
    expect(
      (await sendPush(sandbox.urls.host, sandbox.secrets.webhookSecret, { branch: 'main', commit: head }))
        .status,
    ).toBe(202);
    expect((await buildOf('2.0.0', head)).templateParameters.trigger).toBe('push');

    const result = await runCli(['promote', '1.0.0', '--by', 'bob', '--json'], { env });
    expect(result.code, result.stderr).toBe(0);
    const flowId = flowIdOf(MODEL, '1.0.0', head);
    expect(jsonOf(result)).toMatchObject({
      ok: true,
      previous: '2.0.0',
      backwards: true,
      by: 'bob',
      flowId,
      build: 'accepted',
      queued: 1,
    });

    const build = await buildOf('1.0.0', head);
    expect(build.templateParameters).toMatchObject({ flowId, trigger: 'model', commit: head });
    const flow = await flowOf(flowId, 'build-started');
    expect(arrayAt(flow, 'triggers')).toContainEqual(
      expect.objectContaining({
        source: 'operator',
        deliveryId: expect.stringMatching(/^promote:bob:\d{4}-/),
      }),
    );
    expect(historyOf(flow)[0]).toMatchObject({ status: 'build-queued', delivery: { source: 'operator' } });

    // The current model is 1.0.0 now: the next push builds with it, not with the newer 2.0.0.
    const next = randomSha();
    expect(
      (await sendPush(sandbox.urls.host, sandbox.secrets.webhookSecret, { branch: 'main', commit: next }))
        .status,
    ).toBe(202);
    expect((await buildOf('1.0.0', next)).templateParameters.trigger).toBe('push');
  });

  it('refuses a version that was never published', async () => {
    const result = await runCli(['promote', '7.7.7'], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'ai-app-cicd: demo 7.7.7 has no model.json: not a published version (publish-model)\n',
    );
  });
});

describe('rollback', () => {
  it('releases the previously released flow’s build again, no rebuild, recorded on it; it becomes current', async () => {
    const current = await (await fetch(`${sandbox.urls.flows}/current`)).json();
    expect(current).toMatchObject({ flowId: flowB.flowId });
    const buildA = Number(objectAt(flowA, 'build')?.id);
    const builds = (await listBuilds(sandbox.ado, sandbox.knobs.buildPipelineId)).length;

    const result = await runCli(['rollback', '--by', 'alice', '--json'], { env });
    expect(result.code, result.stderr).toBe(0);
    const answer = jsonOf(result);
    expect(answer).toMatchObject({
      ok: true,
      flowId: flowA.flowId,
      buildId: buildA,
      from: flowB.flowId,
      by: 'alice',
    });
    const releaseId = Number(objectAt(answer, 'release')?.id);
    expect(releaseId).not.toBe(Number(objectAt(flowA, 'release')?.id));

    // A new deploy run of that same build; no build was started.
    const deploys = (await listBuilds(sandbox.ado, sandbox.knobs.releasePipelineId)).filter(
      (run) => run.templateParameters.buildId === String(buildA),
    );
    expect(deploys.map((run) => run.id)).toContain(releaseId);
    expect(deploys).toHaveLength(2);
    expect(await listBuilds(sandbox.ado, sandbox.knobs.buildPipelineId)).toHaveLength(builds);

    const flow = await flowOf(String(flowA.flowId), 'releasing');
    expect(objectAt(flow, 'release')).toMatchObject({ id: releaseId, mode: 'pipeline' });
    expect(historyOf(flow).at(-1)).toMatchObject({
      status: 'releasing',
      delivery: { source: 'operator', id: expect.stringMatching(/^rollback:alice:/) },
      reason: expect.stringContaining(`released again by alice (rollback from flow ${String(flowB.flowId)}`),
    });
    expect(await (await fetch(`${sandbox.urls.flows}/current`)).json()).toMatchObject({
      flowId: flowA.flowId,
    });

    // The app finishes the operator's release like any other.
    await completeRun(sandbox, releaseId);
    await flowOf(String(flowA.flowId), 'released');
  });

  it('refuses a flow whose build has not succeeded, releasing nothing', async () => {
    const running = (await apiFlows(sandbox)).find((flow) => flow.status === 'build-started');
    if (running === undefined) throw new Error('no running build');
    const runs = (await listBuilds(sandbox.ado, sandbox.knobs.releasePipelineId)).length;
    const result = await runCli(['rollback', '--to', String(running.flowId)], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^ai-app-cicd: build \d+ cannot be released: not-completed/);
    expect(await listBuilds(sandbox.ado, sandbox.knobs.releasePipelineId)).toHaveLength(runs);
  });
});

describe('flows and replay-poison', () => {
  it('prints the flows table, one flow’s history and the current flow; --json is the API’s shape', async () => {
    const table = await runCli(['flows', '--limit', '3'], { env });
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^flow\s+model\s+commit\s+trigger\s+build\s+result\s+release\s+status$/);
    expect(lines).toHaveLength(2 + 3);

    const all = jsonOf(await runCli(['flows', '--limit', '100', '--json'], { env }));
    expect(arrayAt(all, 'flows')?.map((flow) => (isRecord(flow) ? flow.flowId : undefined))).toEqual(
      (await apiFlows(sandbox)).map((flow) => flow.flowId),
    );

    const show = await runCli(['flows', 'show', String(flowA.flowId)], { env });
    expect(show.stdout).toMatch(/^flow {5}[0-9a-f]{20}$/m);
    expect(show.stdout).toMatch(/releasing +operator:rollback:alice:\S+ +— released again by alice/);

    const current = jsonOf(await runCli(['flows', 'current', '--json'], { env }));
    expect(current).toMatchObject({ flowId: flowA.flowId, status: 'released' });
    expect(stringAt(current, 'createdAt')).toBeDefined();
  });

  it('replays the poison queue back to the work queue', async () => {
    const poison = QueueServiceClient.fromConnectionString(
      sandbox.secrets.storageConnectionString,
    ).getQueueClient(FLOW_POISON_QUEUE);
    await poison.createIfNotExists();
    const message = {
      v: 1,
      kind: 'build',
      flowId: flowA.flowId,
      delivery: { source: 'operator', id: 'test' },
    };
    await poison.sendMessage(Buffer.from(JSON.stringify(message)).toString('base64'));
    const result = await runCli(['replay-poison', '--limit', '10', '--json'], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(jsonOf(result)).toEqual({ ok: true, replayed: 1, remaining: 0 });
    expect((await poison.peekMessages()).peekedMessageItems).toEqual([]);
  });
});
