import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WebApi, getBearerHandler } from 'azure-devops-node-api';
import type { AdoEmulator, FaultSettings } from '../../tools/ado-emulator/server.js';
import { isRecord } from '../../tools/json.js';
import {
  BUILD_PIPELINE,
  ORG,
  PAT,
  PROJECT,
  adoFetch,
  basicAuth,
  clientFor,
  startSeededEmulator,
} from './support.js';
import { waitFor } from '../../tools/wait.js';

function statusOf(err: unknown): unknown {
  return isRecord(err) ? err.statusCode : undefined;
}

describe('ADO emulator: authentication', () => {
  let emulator: AdoEmulator;

  beforeAll(async () => {
    emulator = await startSeededEmulator();
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('answers 401 with WWW-Authenticate without credentials or with a wrong PAT', async () => {
    const anonymous = await adoFetch(`${emulator.orgUrl(ORG)}/${PROJECT}/_apis/pipelines?api-version=7.1`, {
      auth: null,
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Basic realm=');
    expect(anonymous.json).toMatchObject({ $id: '1', typeKey: 'UnauthorizedRequestException' });

    const wrong = clientFor(emulator, undefined, 'not-the-pat');
    await expect(wrong.getPipelinesApi()).rejects.toMatchObject({ statusCode: 401 });
    const wrongRaw = await adoFetch(`${emulator.orgUrl(ORG)}/${PROJECT}/_apis/pipelines`, {
      auth: basicAuth('nope', 'PAT'),
    });
    expect(wrongRaw.status).toBe(401);
    expect(emulator.requests().filter((r) => r.status === 401).length).toBeGreaterThanOrEqual(3);
  });

  it('accepts the PAT with any user name and any bearer token', async () => {
    for (const user of ['', 'PAT', 'someone@example.com']) {
      expect(
        (await adoFetch(`${emulator.orgUrl(ORG)}/${PROJECT}/_apis/pipelines`, { auth: basicAuth(PAT, user) }))
          .status,
      ).toBe(200);
    }
    const bearer = new WebApi(emulator.orgUrl(ORG), getBearerHandler('entra-access-token'));
    const pipelines = await (await bearer.getPipelinesApi()).listPipelines(PROJECT);
    expect(pipelines.map((p) => p.id)).toContain(BUILD_PIPELINE.id);
    const connection = await bearer.connect();
    expect(connection.authenticatedUser?.providerDisplayName).toBe('Emulator User');
  });
});

describe('ADO emulator: faults', () => {
  let emulator: AdoEmulator;
  let api: WebApi;

  beforeAll(async () => {
    emulator = await startSeededEmulator();
  });
  afterAll(async () => {
    await emulator.close();
  });
  beforeEach(() => {
    emulator.reset();
    api = clientFor(emulator, { socketTimeout: 500 });
  });

  async function runCount(): Promise<number> {
    const pipelines = await clientFor(emulator).getPipelinesApi();
    return (await pipelines.listRuns(PROJECT, BUILD_PIPELINE.id)).length;
  }

  it('429 carries Retry-After and rate-limit headers and does not create the run', async () => {
    const pipelines = await api.getPipelinesApi();
    emulator.setFaults({
      kinds: ['429'],
      next: 1,
      methods: ['POST'],
      pathIncludes: '/runs',
      retryAfterSeconds: 3,
    });
    const err: unknown = await pipelines.runPipeline({}, PROJECT, BUILD_PIPELINE.id).catch((e: unknown) => e);
    expect(statusOf(err)).toBe(429);
    expect(err).toMatchObject({
      responseHeaders: { 'retry-after': '3', 'x-ratelimit-remaining': '0', 'x-ratelimit-resource': 'ATCPU' },
      rateLimit: { retryAfter: 3 },
    });
    expect(await runCount()).toBe(0);
    expect(emulator.requests().find((r) => r.fault !== undefined)).toMatchObject({
      status: 429,
      fault: '429',
      responded: true,
    });

    const retried = await pipelines.runPipeline({}, PROJECT, BUILD_PIPELINE.id);
    expect(retried.id).toBe(1);
    expect(await runCount()).toBe(1);
  });

  it('503 and reset do not process the request', async () => {
    const pipelines = await api.getPipelinesApi();
    emulator.setFaults({ kinds: ['503', 'reset'], next: 2, methods: ['POST'] });
    await expect(pipelines.runPipeline({}, PROJECT, BUILD_PIPELINE.id)).rejects.toMatchObject({
      statusCode: 503,
    });
    const reset: unknown = await pipelines
      .runPipeline({}, PROJECT, BUILD_PIPELINE.id)
      .catch((e: unknown) => e);
    expect(reset).toBeInstanceOf(Error);
    expect(isRecord(reset) ? reset.code : undefined).toBe('ECONNRESET');
    expect(await runCount()).toBe(0);
    expect(
      emulator
        .requests()
        .filter((r) => r.fault !== undefined)
        .map((r) => [r.fault, r.status]),
    ).toEqual([
      ['503', 503],
      ['reset', 0],
    ]);
  });

  it('timeout processes the request but never answers; the client gives up and the run exists', async () => {
    const pipelines = await api.getPipelinesApi();
    emulator.setFaults({ kinds: ['timeout'], next: 1, methods: ['POST'], pathIncludes: '/runs' });
    const started = Date.now();
    await expect(
      pipelines.runPipeline({ templateParameters: { flowId: 'f-timeout' } }, PROJECT, BUILD_PIPELINE.id),
    ).rejects.toThrow(/Request timeout/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    const runs = await (await clientFor(emulator).getPipelinesApi()).listRuns(PROJECT, BUILD_PIPELINE.id);
    expect(runs.map((r) => r.templateParameters)).toEqual([{ flowId: 'f-timeout' }]);
    expect(emulator.requests().find((r) => r.fault === 'timeout')).toMatchObject({
      status: 200,
      responded: false,
    });
  });

  it('reset-after processes the request and then drops the connection', async () => {
    const pipelines = await api.getPipelinesApi();
    emulator.setFaults({ kinds: ['reset-after'], next: 1, methods: ['POST'] });
    await expect(pipelines.runPipeline({}, PROJECT, BUILD_PIPELINE.id)).rejects.toBeInstanceOf(Error);
    expect(await runCount()).toBe(1);
  });

  it('next: N faults exactly the next N matching requests, cycling kinds, and skips discovery by default', async () => {
    const builds = await clientFor(emulator).getBuildApi();
    const run = await (await api.getPipelinesApi()).runPipeline({}, PROJECT, BUILD_PIPELINE.id);
    emulator.setFaults({ kinds: ['503', '429', '500'], next: 4, pathIncludes: '/_apis/build/builds' });
    const fresh = await clientFor(emulator).getBuildApi(); // its first call discovers locations (not faulted)
    const outcomes: unknown[] = [];
    for (let i = 0; i < 6; i++) {
      outcomes.push(
        await (i % 2 === 0 ? builds : fresh).getBuild(PROJECT, run.id ?? 0).then(
          (b) => b.id,
          (e: unknown) => statusOf(e),
        ),
      );
    }
    expect(outcomes).toEqual([503, 429, 500, 503, run.id, run.id]);
    const faults = await adoFetch(`${emulator.url}/_emulator/faults`, { auth: null });
    expect(faults.json).toMatchObject({ remaining: 0, injected: 4 });
  });

  it('random faults follow the probability and are reproducible with randomSeed', async () => {
    const builds = await api.getBuildApi();
    await builds.getBuilds(PROJECT); // warm up discovery
    const sample = async (settings: FaultSettings): Promise<string> => {
      emulator.setFaults(settings);
      let pattern = '';
      for (let i = 0; i < 16; i++) {
        pattern += await builds.getBuilds(PROJECT).then(
          () => '.',
          () => 'x',
        );
      }
      return pattern;
    };
    expect(await sample({ probability: 0, kinds: ['503'] })).toBe('.'.repeat(16));
    expect(await sample({ probability: 1, kinds: ['503'] })).toBe('x'.repeat(16));
    const first = await sample({ probability: 0.5, kinds: ['503', '429'], randomSeed: 42 });
    const second = await sample({ probability: 0.5, kinds: ['503', '429'], randomSeed: 42 });
    expect(first).toBe(second);
    expect(first).toContain('x');
    expect(first).toContain('.');
    emulator.setFaults(null);
    await expect(builds.getBuilds(PROJECT)).resolves.toEqual([]);
  });
});

describe('ADO emulator: control endpoints', () => {
  let emulator: AdoEmulator;

  beforeAll(async () => {
    emulator = await startSeededEmulator();
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('records, sets faults, completes builds and resets over HTTP', async () => {
    const control = `${emulator.url}/_emulator`;
    expect((await adoFetch(`${control}/health`, { auth: null })).json).toMatchObject({ ok: true });
    const api = new WebApi(emulator.orgUrl(ORG), getBearerHandler('token'));
    const run = await (await api.getPipelinesApi()).runPipeline({}, PROJECT, BUILD_PIPELINE.id);
    expect(run.id).toBe(1);

    const requests = await adoFetch(`${control}/requests`, { auth: null });
    expect(requests.json).toMatchObject({ count: emulator.requests().length });
    if (!isRecord(requests.json) || !Array.isArray(requests.json.value)) throw new Error('no request list');
    expect(requests.json.value.at(-1)).toMatchObject({
      method: 'POST',
      path: `/${ORG}/${PROJECT}/_apis/pipelines/${BUILD_PIPELINE.id}/runs`,
      status: 200,
    });

    const completed = await adoFetch(`${control}/builds/complete`, {
      method: 'POST',
      auth: null,
      body: { org: ORG, buildId: 1, result: 'failed' },
    });
    expect(completed.json).toMatchObject({ changed: true, build: { status: 'completed', result: 'failed' } });
    const again = await adoFetch(`${control}/builds/complete`, {
      method: 'POST',
      auth: null,
      body: { org: ORG, buildId: 1 },
    });
    expect(again.json).toMatchObject({ changed: false });

    const badFaults = await adoFetch(`${control}/faults`, {
      method: 'POST',
      auth: null,
      body: { kinds: ['boom'] },
    });
    expect(badFaults.status).toBe(400);
    const faults = await adoFetch(`${control}/faults`, {
      method: 'POST',
      auth: null,
      body: { kinds: ['503'], next: 1 },
    });
    expect(faults.json).toMatchObject({ remaining: 1 });
    expect((await adoFetch(`${emulator.orgUrl(ORG)}/${PROJECT}/_apis/pipelines`)).status).toBe(503);
    expect(
      (await adoFetch(`${control}/faults`, { method: 'POST', auth: null, body: {} })).json,
    ).toMatchObject({
      settings: null,
    });
    // Removed control endpoints answer 404 like any unknown one.
    for (const removed of ['nope', 'seed', 'runs', 'branches'])
      expect((await adoFetch(`${control}/${removed}`, { method: 'POST', auth: null, body: {} })).status).toBe(
        404,
      );
    expect((await adoFetch(`${control}/faults`, { method: 'POST', auth: null, body: '{' })).status).toBe(400);

    expect((await adoFetch(`${control}/reset`, { method: 'POST', auth: null })).status).toBe(200);
    expect(emulator.requests()).toEqual([]);
    // Seeds survive a reset; runs do not.
    const pipelines = await api.getPipelinesApi();
    expect(await pipelines.listRuns(PROJECT, BUILD_PIPELINE.id)).toEqual([]);
    expect((await pipelines.listPipelines(PROJECT)).map((p) => p.id)).toContain(BUILD_PIPELINE.id);
  });

  // How promptly: `npm run bench:timing`.
  it('closes while holding a timed-out request, and the held request fails', async () => {
    const local = await startSeededEmulator();
    local.setFaults({ kinds: ['timeout'], next: 1, methods: ['POST'] });
    const pipelines = await clientFor(local, { socketTimeout: 60_000 }).getPipelinesApi();
    const pending = pipelines.runPipeline({}, PROJECT, BUILD_PIPELINE.id).catch((e: unknown) => e);
    await waitFor(() => local.requests().some((r) => r.fault === 'timeout'), { what: 'the held request' });
    await local.close();
    expect(await pending).toBeInstanceOf(Error);
  });
});
