import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { WebApi } from 'azure-devops-node-api';
import {
  BuildQueryOrder,
  BuildResult,
  BuildStatus,
} from 'azure-devops-node-api/interfaces/BuildInterfaces.js';
import { RunResult, RunState } from 'azure-devops-node-api/interfaces/PipelinesInterfaces.js';
import { isRecord } from '../../tools/json.js';
import { startAdoEmulator, type AdoEmulator } from '../../tools/ado-emulator/server.js';
import { SPEC_FILES, VALIDATED_OPERATIONS, responseValidator } from '../../tools/ado-emulator/spec.js';
import {
  BUILD_PIPELINE,
  ORG,
  PLAIN_PIPELINE,
  PROJECT,
  RELEASE_PIPELINE,
  adoFetch,
  clientFor,
  startSeededEmulator,
} from './support.js';
import { waitFor } from '../../tools/wait.js';

const SHA_A = 'a'.repeat(40);
const BUILD_PARAMETERS = {
  commit: SHA_A,
  branch: 'main',
  modelName: 'fraud',
  modelVersion: '7',
  modelUri: '',
  modelSha256: 'b'.repeat(64),
  flowId: 'flow-123',
  trigger: 'model',
};

describe('ADO emulator: Pipelines runs are Builds', () => {
  let emulator: AdoEmulator;
  let api: WebApi;
  let runsUrl: (pipelineId: number) => string;

  beforeAll(async () => {
    emulator = await startSeededEmulator();
    api = clientFor(emulator);
    runsUrl = (id) => `${emulator.orgUrl(ORG)}/${PROJECT}/_apis/pipelines/${id}/runs?api-version=7.1`;
  });
  afterAll(async () => {
    await emulator.close();
  });
  beforeEach(() => {
    emulator.reset();
  });

  async function runCount(pipelineId: number): Promise<number> {
    return (await (await api.getPipelinesApi()).listRuns(PROJECT, pipelineId)).length;
  }

  it('runPipeline creates a run that getBuild returns with the same id, parameters, branch and commit', async () => {
    const pipelines = await api.getPipelinesApi();
    const builds = await api.getBuildApi();
    const run = await pipelines.runPipeline(
      {
        templateParameters: BUILD_PARAMETERS,
        resources: { repositories: { self: { refName: 'refs/heads/feature/x', version: SHA_A } } },
        variables: { trace: { value: 'on' } },
      },
      PROJECT,
      BUILD_PIPELINE.id,
    );
    expect(run.id).toBeGreaterThan(0);
    expect(run.state).toBe(RunState.InProgress);
    expect(run.createdDate).toBeInstanceOf(Date);
    expect(run.pipeline?.id).toBe(BUILD_PIPELINE.id);
    expect(run.templateParameters).toEqual(BUILD_PARAMETERS);

    const build = await builds.getBuild(PROJECT, run.id ?? 0);
    expect(build.id).toBe(run.id);
    expect(build.buildNumber).toBe(run.name);
    expect(build.buildNumber).toMatch(/^\d{8}\.1$/);
    expect(build.templateParameters).toEqual(BUILD_PARAMETERS);
    expect(build.sourceBranch).toBe('refs/heads/feature/x');
    expect(build.sourceVersion).toBe(SHA_A);
    expect(build.status).toBe(BuildStatus.InProgress);
    expect(build.definition).toMatchObject(BUILD_PIPELINE);
    expect(JSON.parse(build.parameters ?? '{}')).toEqual({ trace: 'on' });
    const links: unknown = build._links;
    expect(links).toMatchObject({
      web: { href: `${emulator.orgUrl(ORG)}/${PROJECT}/_build/results?buildId=${run.id ?? 0}` },
    });
    expect((await pipelines.getRun(PROJECT, BUILD_PIPELINE.id, run.id ?? 0)).id).toBe(run.id);
    expect((await pipelines.listRuns(PROJECT, BUILD_PIPELINE.id)).map((r) => r.id)).toEqual([run.id]);
    const post = emulator.requests().find((r) => r.method === 'POST' && r.path.endsWith('/runs'));
    expect(post).toMatchObject({ status: 200, apiVersion: '7.2-preview.1' });

    // Without a version the commit is derived from the branch; the branch defaults to main.
    const plain = await pipelines.runPipeline({}, PROJECT, BUILD_PIPELINE.id);
    const plainBuild = await builds.getBuild(PROJECT, plain.id ?? 0);
    expect(plainBuild.sourceBranch).toBe('refs/heads/main');
    expect(plainBuild.sourceVersion).toBe(createHash('sha1').update('refs/heads/main').digest('hex'));
  });

  it('refuses a template parameter the YAML does not declare, naming it', async () => {
    const res = await adoFetch(runsUrl(BUILD_PIPELINE.id), {
      method: 'POST',
      body: { templateParameters: { ...BUILD_PARAMETERS, operator: 'alice' } },
    });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({
      $id: '1',
      typeKey: 'PipelineValidationException',
      message: "Unexpected parameter 'operator'",
    });
    // A pipeline whose YAML declares no parameters takes none.
    const plain = await adoFetch(runsUrl(PLAIN_PIPELINE.id), {
      method: 'POST',
      body: { templateParameters: { flowId: 'f1' } },
    });
    expect(plain.json).toMatchObject({ message: "Unexpected parameter 'flowId'" });
    expect(await runCount(BUILD_PIPELINE.id)).toBe(0);
    expect(await runCount(PLAIN_PIPELINE.id)).toBe(0);
  });

  it("refuses a value outside a parameter's values, naming the parameter and the value", async () => {
    const res = await adoFetch(runsUrl(BUILD_PIPELINE.id), {
      method: 'POST',
      body: { templateParameters: { trigger: 'schedule' } },
    });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({
      typeKey: 'PipelineValidationException',
      message: "The 'trigger' parameter value 'schedule' is not a valid value.",
    });
    expect(await runCount(BUILD_PIPELINE.id)).toBe(0);
  });

  it('refuses a run that leaves out a parameter without a default', async () => {
    const local = await startAdoEmulator({
      pat: 'p',
      seed: [
        {
          org: ORG,
          project: PROJECT,
          pipelines: [
            {
              id: 1,
              name: 'strict',
              parameters: [
                { name: 'environment', values: ['staging', 'production'] },
                { name: 'dryRun', type: 'boolean', default: false },
              ],
            },
          ],
        },
      ],
    });
    try {
      const url = `${local.orgUrl(ORG)}/${PROJECT}/_apis/pipelines/1/runs?api-version=7.1`;
      const auth = `Basic ${Buffer.from(':p').toString('base64')}`;
      const missing = await adoFetch(url, {
        method: 'POST',
        auth,
        body: { templateParameters: { dryRun: 'true' } },
      });
      expect(missing.status).toBe(400);
      expect(missing.json).toMatchObject({
        typeKey: 'PipelineValidationException',
        message: "A value for the 'environment' parameter must be provided.",
      });
      const notBoolean = await adoFetch(url, {
        method: 'POST',
        auth,
        body: { templateParameters: { environment: 'staging', dryRun: 'maybe' } },
      });
      expect(notBoolean.json).toMatchObject({
        message: "The 'dryRun' parameter value 'maybe' is not a valid boolean.",
      });
      const fine = await adoFetch(url, {
        method: 'POST',
        auth,
        body: { templateParameters: { environment: 'staging' } },
      });
      expect(fine.status).toBe(200);
    } finally {
      await local.close();
    }
  });

  it('refuses a body the Run Pipeline spec does not allow with 400 naming the field, and creates nothing', async () => {
    const wrongType = await adoFetch(runsUrl(BUILD_PIPELINE.id), {
      method: 'POST',
      body: { templateParameters: { modelVersion: 7 } },
    });
    expect(wrongType.status).toBe(400);
    expect(wrongType.json).toMatchObject({
      $id: '1',
      innerException: null,
      typeKey: 'VssPropertyValidationException',
      message: expect.stringContaining("'templateParameters.modelVersion' must be string"),
    });
    const runId = await adoFetch(runsUrl(RELEASE_PIPELINE.id), {
      method: 'POST',
      body: { resources: { pipelines: { build: { runId: '1' } } } },
    });
    expect(runId.json).toMatchObject({
      message: expect.stringContaining("'resources.pipelines.build.runId' must be integer"),
    });
    const missing = await adoFetch(runsUrl(BUILD_PIPELINE.id), { method: 'POST' });
    expect(missing.json).toMatchObject({
      typeKey: 'ArgumentNullException',
      message: expect.stringContaining('runParameters'),
    });
    expect(await runCount(BUILD_PIPELINE.id)).toBe(0);
  });

  it('checks pipeline resources against the deploy YAML: declared alias, a run of the source pipeline', async () => {
    const pipelines = await api.getPipelinesApi();
    const build = await pipelines.runPipeline({}, PROJECT, BUILD_PIPELINE.id);
    const other = await pipelines.runPipeline({}, PROJECT, PLAIN_PIPELINE.id);
    const deploy = (alias: string, runId: number) =>
      adoFetch(runsUrl(RELEASE_PIPELINE.id), {
        method: 'POST',
        body: {
          templateParameters: { buildId: String(runId) },
          resources: { pipelines: { [alias]: { runId } } },
        },
      });
    expect((await deploy('artifacts', build.id ?? 0)).json).toMatchObject({
      typeKey: 'PipelineValidationException',
      message: "Unexpected pipeline resource 'artifacts'",
    });
    expect((await deploy('build', other.id ?? 0)).json).toMatchObject({
      message: `Pipeline resource build: run ${other.id ?? 0} could not be found in pipeline 'ai-app-build'.`,
    });
    const ok = await deploy('build', build.id ?? 0);
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({
      resources: {
        pipelines: { build: { runId: build.id, version: build.name, pipeline: { id: BUILD_PIPELINE.id } } },
      },
    });
  });

  it('previewRun validates, answers the YAML with parameters resolved, and creates no run', async () => {
    const pipelines = await api.getPipelinesApi();
    const preview = await pipelines.runPipeline(
      { previewRun: true, templateParameters: { modelName: 'fraud', trigger: 'push' } },
      PROJECT,
      BUILD_PIPELINE.id,
    );
    expect(preview.finalYaml).toEqual(expect.any(String));
    const finalYaml: unknown = parse(preview.finalYaml ?? '');
    if (!isRecord(finalYaml)) throw new Error('finalYaml is not a YAML mapping');
    expect(finalYaml.parameters).toBeUndefined();
    expect(preview.finalYaml).toContain('P_TRIGGER: push');
    expect(preview.finalYaml).toContain('P_MODEL_NAME: fraud');
    expect(preview.finalYaml).toMatch(/P_COMMIT: (''|"")\n/); // the default
    expect(preview.finalYaml).not.toContain('${{ parameters.');
    expect(await runCount(BUILD_PIPELINE.id)).toBe(0);
    expect(emulator.requests().filter((r) => r.method === 'POST')).toEqual([
      expect.objectContaining({ status: 200, body: expect.objectContaining({ previewRun: true }) }),
    ]);

    const refused = await adoFetch(runsUrl(BUILD_PIPELINE.id), {
      method: 'POST',
      body: { previewRun: true, templateParameters: { trigger: 'cron' } },
    });
    expect(refused.json).toMatchObject({
      message: "The 'trigger' parameter value 'cron' is not a valid value.",
    });

    // A YAML override is previewed with its own parameters; without previewRun it is refused.
    const override =
      'parameters:\n  - name: who\n    default: world\nsteps:\n  - script: echo ${{ parameters.who }}\n';
    const overridden = await adoFetch(runsUrl(BUILD_PIPELINE.id), {
      method: 'POST',
      body: { previewRun: true, yamlOverride: override, templateParameters: { who: 'ops' } },
    });
    expect(overridden.json).toMatchObject({ finalYaml: 'steps:\n  - script: echo ops\n' });
    const notPreview = await adoFetch(runsUrl(BUILD_PIPELINE.id), {
      method: 'POST',
      body: { yamlOverride: override },
    });
    expect(notPreview.status).toBe(400);
    expect(await runCount(BUILD_PIPELINE.id)).toBe(0);
  });

  it('answers 404 for unknown pipelines, projects and builds; the client turns a 404 into null', async () => {
    const pipelines = await api.getPipelinesApi();
    expect(await pipelines.runPipeline({}, PROJECT, 999)).toBeNull();
    expect(emulator.requests().at(-1)).toMatchObject({ method: 'POST', status: 404 });
    const res = await adoFetch(`${emulator.orgUrl(ORG)}/nope/_apis/build/builds/1?api-version=7.1`);
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({
      $id: '1',
      typeKey: 'ProjectDoesNotExistWithNameException',
      eventId: 3000,
    });
    await expect((await api.getBuildApi()).getBuild(PROJECT, 4242)).resolves.toBeNull();
  });

  it('getBuilds filters by definitions, status, result and branch, and accepts the client’s RFC 1123 dates', async () => {
    const pipelines = await api.getPipelinesApi();
    const builds = await api.getBuildApi();
    const a = await pipelines.runPipeline({}, PROJECT, BUILD_PIPELINE.id);
    const b = await pipelines.runPipeline(
      { resources: { repositories: { self: { refName: 'release/1' } } } },
      PROJECT,
      BUILD_PIPELINE.id,
    );
    const c = await pipelines.runPipeline({}, PROJECT, PLAIN_PIPELINE.id);
    const [idA, idB, idC] = [a.id ?? 0, b.id ?? 0, c.id ?? 0];
    expect((await builds.getBuilds(PROJECT, [BUILD_PIPELINE.id])).map((x) => x.id)).toEqual([idB, idA]);
    await builds.updateBuild({ status: BuildStatus.Completed, result: BuildResult.Failed }, PROJECT, idA);
    const list = (...args: Parameters<typeof builds.getBuilds>) =>
      builds.getBuilds(...args).then((l) => l.map((x) => x.id));
    const u = undefined;
    expect(await list(PROJECT, u, u, u, u, u, u, u, BuildStatus.Completed)).toEqual([idA]);
    expect(await list(PROJECT, u, u, u, u, u, u, u, u, BuildResult.Failed)).toEqual([idA]);
    expect(await list(PROJECT, u, u, u, u, u, u, u, u, BuildResult.Succeeded)).toEqual([]);
    const branch = await list(
      PROJECT,
      u,
      u,
      u,
      u,
      u,
      u,
      u,
      u,
      u,
      u,
      u,
      u,
      u,
      u,
      u,
      u,
      'refs/heads/release/1',
    );
    expect(branch).toEqual([idB]);
    const hourAgo = new Date(Date.now() - 3_600_000);
    const queued = await list(
      PROJECT,
      u,
      u,
      u,
      hourAgo,
      u,
      u,
      u,
      u,
      u,
      u,
      u,
      u,
      u,
      u,
      u,
      BuildQueryOrder.QueueTimeDescending,
    );
    expect(queued).toEqual([idC, idB, idA]);
    const sent = emulator.requests().filter((r) => r.query.minTime !== undefined);
    expect(sent.at(-1)?.query).toMatchObject({ minTime: hourAgo.toUTCString(), queryOrder: '4' });
  });

  it('filters minTime on the time field queryOrder selects, and on finish time without a queryOrder', async () => {
    const pipelines = await api.getPipelinesApi();
    const early = await pipelines.runPipeline({}, PROJECT, BUILD_PIPELINE.id);
    const queuedAt = Date.now();
    await waitFor(() => Date.now() > queuedAt + 5, { what: 'the clock to move on' });
    const mark = new Date();
    await waitFor(() => Date.now() > mark.getTime() + 5, { what: 'the clock to move on' });
    const late = await pipelines.runPipeline({}, PROJECT, BUILD_PIPELINE.id);
    // The early run finishes after the mark; the late one is still running.
    await (await api.getBuildApi()).updateBuild({ status: BuildStatus.Completed }, PROJECT, early.id ?? 0);
    const ids = async (query: string): Promise<unknown> => {
      const res = await adoFetch(
        `${emulator.orgUrl(ORG)}/${PROJECT}/_apis/build/builds?api-version=7.1&minTime=${encodeURIComponent(mark.toISOString())}${query}`,
      );
      expect(res.status).toBe(200);
      return isRecord(res.json) && Array.isArray(res.json.value)
        ? res.json.value.map((build: unknown) => (isRecord(build) ? build.id : undefined))
        : undefined;
    };
    expect(await ids('&queryOrder=queueTimeDescending')).toEqual([late.id]);
    expect(await ids('&queryOrder=queueTimeAscending')).toEqual([late.id]);
    expect(await ids('&queryOrder=startTimeDescending')).toEqual([late.id]);
    expect(await ids('&queryOrder=finishTimeDescending')).toEqual([early.id]);
    expect(await ids('')).toEqual([early.id]); // a client that forgets the order does not find queued runs
    // maxTime too, and the order is honoured.
    const all = await adoFetch(
      `${emulator.orgUrl(ORG)}/${PROJECT}/_apis/build/builds?api-version=7.1&queryOrder=queueTimeAscending&maxTime=${encodeURIComponent(new Date().toISOString())}`,
    );
    expect(all.json).toMatchObject({ value: [{ id: early.id }, { id: late.id }] });
  });

  it('refuses Builds List query values the spec does not allow, naming the parameter', async () => {
    for (const [name, value] of [
      ['queryOrder', 'newest'],
      ['minTime', 'last week'],
      ['$top', 'many'],
      ['statusFilter', 'exploded'],
      ['definitions', 'ai-app-build'],
    ] as const) {
      const query = new URLSearchParams({ 'api-version': '7.1', [name]: value });
      const res = await adoFetch(`${emulator.orgUrl(ORG)}/${PROJECT}/_apis/build/builds?${query.toString()}`);
      expect(res.status, name).toBe(400);
      expect(res.json, name).toMatchObject({
        $id: '1',
        message: `The value '${value}' is not valid for ${name}.`,
      });
    }
  });

  it('completing a build (numeric enums or names) completes the pipeline run', async () => {
    const pipelines = await api.getPipelinesApi();
    const builds = await api.getBuildApi();
    const run = await pipelines.runPipeline({}, PROJECT, BUILD_PIPELINE.id);
    const id = run.id ?? 0;
    const updated = await builds.updateBuild(
      { status: BuildStatus.Completed, result: BuildResult.PartiallySucceeded },
      PROJECT,
      id,
    );
    expect(updated.status).toBe(BuildStatus.Completed);
    expect(updated.result).toBe(BuildResult.PartiallySucceeded);
    expect(updated.finishTime).toBeInstanceOf(Date);
    const completedRun = await pipelines.getRun(PROJECT, BUILD_PIPELINE.id, id);
    expect(completedRun.state).toBe(RunState.Completed);
    expect(completedRun.result).toBe(RunResult.Succeeded);

    const other = await pipelines.runPipeline({}, PROJECT, BUILD_PIPELINE.id);
    const res = await adoFetch(
      `${emulator.orgUrl(ORG)}/${PROJECT}/_apis/build/builds/${other.id ?? 0}?api-version=7.1`,
      {
        method: 'PATCH',
        body: { status: 'completed', result: 'failed' },
      },
    );
    expect(res.json).toMatchObject({ id: other.id, status: 'completed', result: 'failed' });
    expect((await pipelines.getRun(PROJECT, BUILD_PIPELINE.id, other.id ?? 0)).result).toBe(RunResult.Failed);
    const bad = await adoFetch(
      `${emulator.orgUrl(ORG)}/${PROJECT}/_apis/build/builds/${id}?api-version=7.1`,
      {
        method: 'PATCH',
        body: { status: 'exploded' },
      },
    );
    expect(bad.status).toBe(400);
  });

  it('answers what the Pipelines, Runs and Builds specs describe', async () => {
    const pipelines = await api.getPipelinesApi();
    const build = await pipelines.runPipeline(
      { templateParameters: BUILD_PARAMETERS },
      PROJECT,
      BUILD_PIPELINE.id,
    );
    await (await api.getBuildApi()).updateBuild({ status: BuildStatus.Completed }, PROJECT, build.id ?? 0);
    await pipelines.runPipeline(
      {
        resources: { pipelines: { build: { runId: build.id ?? 0 } } },
        variables: { s: { value: 'x', isSecret: true } },
      },
      PROJECT,
      RELEASE_PIPELINE.id,
    );
    const base = `${emulator.orgUrl(ORG)}/${PROJECT}/_apis`;
    const checks: [string, string, unknown, (body: unknown) => string[]][] = [
      [
        'POST',
        `${base}/pipelines/${BUILD_PIPELINE.id}/runs`,
        {},
        responseValidator(VALIDATED_OPERATIONS.runPipeline),
      ],
      [
        'POST',
        `${base}/pipelines/${BUILD_PIPELINE.id}/runs`,
        { previewRun: true },
        responseValidator(VALIDATED_OPERATIONS.runPipeline),
      ],
      [
        'GET',
        `${base}/pipelines/${RELEASE_PIPELINE.id}/runs`,
        undefined,
        pipelinesOp('get', '/{pipelineId}/runs'),
      ],
      [
        'GET',
        `${base}/pipelines/${BUILD_PIPELINE.id}/runs/${build.id ?? 0}`,
        undefined,
        pipelinesOp('get', '/{pipelineId}/runs/{runId}'),
      ],
      ['GET', `${base}/pipelines`, undefined, pipelinesOp('get', '')],
      ['GET', `${base}/pipelines/${BUILD_PIPELINE.id}`, undefined, pipelinesOp('get', '/{pipelineId}')],
      [
        'GET',
        `${base}/build/builds?queryOrder=queueTimeDescending`,
        undefined,
        responseValidator(VALIDATED_OPERATIONS.listBuilds),
      ],
      ['GET', `${base}/build/builds/${build.id ?? 0}`, undefined, buildsOp('get')],
      ['PATCH', `${base}/build/builds/${build.id ?? 0}`, { status: 'completed' }, buildsOp('patch')],
    ];
    for (const [method, url, body, validate] of checks) {
      const res = await adoFetch(`${url}${url.includes('?') ? '&' : '?'}api-version=7.1`, { method, body });
      expect(res.status, `${method} ${url}`).toBe(200);
      expect(validate(res.json), `${method} ${url}`).toEqual([]);
    }
  });
});

function pipelinesOp(method: 'get', suffix: string) {
  return responseValidator({
    spec: SPEC_FILES.pipelines,
    method,
    path: `/{organization}/{project}/_apis/pipelines${suffix}`,
  });
}

function buildsOp(method: 'get' | 'patch') {
  return responseValidator({
    spec: SPEC_FILES.buildFull,
    method,
    path: '/{organization}/{project}/_apis/build/builds/{buildId}',
  });
}
