import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WebApi } from 'azure-devops-node-api';
import {
  BuildQueryOrder,
  BuildReason,
  BuildResult,
  BuildStatus,
} from 'azure-devops-node-api/interfaces/BuildInterfaces.js';
import {
  ConfigurationType,
  RunResult,
  RunState,
} from 'azure-devops-node-api/interfaces/PipelinesInterfaces.js';
import type { AdoEmulator } from '../../tools/ado-emulator/server.js';
import {
  BUILD_PIPELINE,
  ORG,
  PROJECT,
  RELEASE_PIPELINE,
  adoFetch,
  clientFor,
  startSeededEmulator,
} from './support.js';

const SHA_A = 'a'.repeat(40);
const SHA_B = '0123456789abcdef0123456789abcdef01234567';

describe('ADO emulator: Pipelines runs are Builds', () => {
  let emulator: AdoEmulator;
  let api: WebApi;

  beforeAll(async () => {
    emulator = await startSeededEmulator();
    api = clientFor(emulator);
  });
  afterAll(async () => {
    await emulator.close();
  });
  beforeEach(() => {
    emulator.reset();
  });

  it('runPipeline creates a run that getBuild returns with the same id, parameters, branch and commit', async () => {
    const pipelines = await api.getPipelinesApi();
    const builds = await api.getBuildApi();
    const templateParameters = { flowId: 'flow-123', modelVersion: '7', commit: SHA_A };

    const run = await pipelines.runPipeline(
      {
        templateParameters,
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
    expect(run.templateParameters).toEqual(templateParameters);

    const build = await builds.getBuild(PROJECT, run.id ?? 0);
    expect(build.id).toBe(run.id);
    expect(build.buildNumber).toBe(run.name);
    expect(build.buildNumber).toMatch(/^\d{8}\.1$/);
    expect(build.templateParameters).toEqual(templateParameters);
    expect(build.sourceBranch).toBe('refs/heads/feature/x');
    expect(build.sourceVersion).toBe(SHA_A);
    expect(build.queueTime).toBeInstanceOf(Date);
    expect(Math.abs((build.queueTime?.getTime() ?? 0) - Date.now())).toBeLessThan(10_000);
    expect(build.status).toBe(BuildStatus.InProgress);
    expect(build.result).toBeUndefined();
    expect(build.reason).toBe(BuildReason.Manual);
    expect(build.definition?.id).toBe(BUILD_PIPELINE.id);
    expect(build.definition?.name).toBe(BUILD_PIPELINE.name);
    expect(build.project?.name).toBe(PROJECT);
    expect(JSON.parse(build.parameters ?? '{}')).toEqual({ trace: 'on' });
    const links: unknown = build._links;
    expect(links).toMatchObject({
      web: { href: `${emulator.orgUrl(ORG)}/${PROJECT}/_build/results?buildId=${run.id ?? 0}` },
    });

    const again = await pipelines.getRun(PROJECT, BUILD_PIPELINE.id, run.id ?? 0);
    expect(again.id).toBe(run.id);
    const runs = await pipelines.listRuns(PROJECT, BUILD_PIPELINE.id);
    expect(runs.map((r) => r.id)).toEqual([run.id]);

    const post = emulator.requests().find((r) => r.method === 'POST' && r.path.endsWith('/runs'));
    expect(post).toMatchObject({ status: 200, apiVersion: '7.2-preview.1', body: { templateParameters } });
  });

  it('resolves the commit of a run without a version from the branch head, or derives it from the branch name', async () => {
    const pipelines = await api.getPipelinesApi();
    const builds = await api.getBuildApi();

    const first = await pipelines.runPipeline({}, PROJECT, BUILD_PIPELINE.id);
    const firstBuild = await builds.getBuild(PROJECT, first.id ?? 0);
    expect(firstBuild.sourceBranch).toBe('refs/heads/main');
    expect(firstBuild.sourceVersion).toBe(createHash('sha1').update('refs/heads/main').digest('hex'));

    const control = await adoFetch(`${emulator.url}/_emulator/branches`, {
      method: 'POST',
      auth: null,
      body: { org: ORG, project: PROJECT, branch: 'main', commit: SHA_B },
    });
    expect(control.status).toBe(200);
    const second = await pipelines.runPipeline(
      { resources: { repositories: { self: { refName: 'refs/heads/main' } } } },
      PROJECT,
      BUILD_PIPELINE.id,
    );
    expect((await builds.getBuild(PROJECT, second.id ?? 0)).sourceVersion).toBe(SHA_B);
    expect(second.id).toBe((first.id ?? 0) + 1);
  });

  it('rejects non-string template parameters with 400 and creates nothing', async () => {
    const res = await adoFetch(
      `${emulator.orgUrl(ORG)}/${PROJECT}/_apis/pipelines/${BUILD_PIPELINE.id}/runs?api-version=7.1`,
      { method: 'POST', body: { templateParameters: { modelVersion: 7 } } },
    );
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({
      $id: '1',
      innerException: null,
      typeKey: 'PipelineValidationException',
    });
    const pipelines = await api.getPipelinesApi();
    expect(await pipelines.listRuns(PROJECT, BUILD_PIPELINE.id)).toEqual([]);
  });

  it('answers 404 for unknown pipelines and projects; the client turns a 404 into null', async () => {
    const pipelines = await api.getPipelinesApi();
    const run = await pipelines.runPipeline({}, PROJECT, 999);
    expect(run).toBeNull();
    expect(emulator.requests().at(-1)).toMatchObject({ method: 'POST', status: 404 });

    const res = await adoFetch(`${emulator.orgUrl(ORG)}/nope/_apis/build/builds/1?api-version=7.1`);
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({
      $id: '1',
      innerException: null,
      typeKey: 'ProjectDoesNotExistWithNameException',
      errorCode: 0,
      eventId: 3000,
    });
    await expect((await api.getBuildApi()).getBuild(PROJECT, 4242)).resolves.toBeNull();
  });

  it('getBuilds filters by definitions, tags, time window, status/result, branch and orders by queue time', async () => {
    const pipelines = await api.getPipelinesApi();
    const builds = await api.getBuildApi();
    const a = await pipelines.runPipeline({ templateParameters: { n: 'a' } }, PROJECT, BUILD_PIPELINE.id);
    const b = await pipelines.runPipeline(
      { resources: { repositories: { self: { refName: 'release/1' } } } },
      PROJECT,
      BUILD_PIPELINE.id,
    );
    const c = await pipelines.runPipeline({}, PROJECT, RELEASE_PIPELINE.id);
    const ids = [a.id ?? 0, b.id ?? 0, c.id ?? 0];

    const byDefinition = await builds.getBuilds(PROJECT, [BUILD_PIPELINE.id]);
    expect(byDefinition.map((x) => x.id)).toEqual([ids[1], ids[0]]);

    expect(await builds.addBuildTag(PROJECT, ids[0] ?? 0, 'flow-a')).toEqual(['flow-a']);
    await builds.addBuildTags(['flow-c', 'model-7'], PROJECT, ids[2] ?? 0);
    const tagged = await builds.getBuilds(
      PROJECT,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      ['flow-c', 'model-7'],
    );
    expect(tagged.map((x) => x.id)).toEqual([ids[2]]);
    expect(tagged[0]?.tags).toEqual(['flow-c', 'model-7']);

    const future = new Date(Date.now() + 60_000);
    const past = new Date(Date.now() - 60_000);
    expect(await builds.getBuilds(PROJECT, undefined, undefined, undefined, future)).toEqual([]);
    const windowed = await builds.getBuilds(PROJECT, undefined, undefined, undefined, past, future);
    expect(windowed).toHaveLength(3);

    await builds.updateBuild(
      { status: BuildStatus.Completed, result: BuildResult.Failed },
      PROJECT,
      ids[0] ?? 0,
    );
    const completed = await builds.getBuilds(
      PROJECT,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      BuildStatus.Completed,
    );
    expect(completed.map((x) => x.id)).toEqual([ids[0]]);
    const failed = await builds.getBuilds(
      PROJECT,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      BuildResult.Failed,
    );
    expect(failed.map((x) => x.id)).toEqual([ids[0]]);
    const succeeded = await builds.getBuilds(
      PROJECT,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      BuildResult.Succeeded,
    );
    expect(succeeded).toEqual([]);

    const ascending = await builds.getBuilds(
      PROJECT,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      2,
      undefined,
      undefined,
      undefined,
      BuildQueryOrder.QueueTimeAscending,
    );
    expect(ascending.map((x) => x.id)).toEqual([ids[0], ids[1]]);

    const onBranch = await builds.getBuilds(
      PROJECT,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      'refs/heads/release/1',
    );
    expect(onBranch.map((x) => x.id)).toEqual([ids[1]]);

    const listRequest = emulator
      .requests()
      .find((r) => r.method === 'GET' && r.query.statusFilter !== undefined);
    expect(listRequest?.query.statusFilter).toBe('2');
    const timeRequest = emulator.requests().find((r) => r.query.minTime !== undefined);
    expect(timeRequest?.query.minTime).toBe(future.toUTCString());
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
    expect(completedRun.finishedDate).toBeInstanceOf(Date);

    const other = await pipelines.runPipeline({}, PROJECT, BUILD_PIPELINE.id);
    const res = await adoFetch(
      `${emulator.orgUrl(ORG)}/${PROJECT}/_apis/build/builds/${other.id ?? 0}?api-version=7.1`,
      {
        method: 'PATCH',
        body: { status: 'completed', result: 'failed' },
      },
    );
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id: other.id, status: 'completed', result: 'failed' });
    const failedRun = await pipelines.getRun(PROJECT, BUILD_PIPELINE.id, other.id ?? 0);
    expect(failedRun.result).toBe(RunResult.Failed);

    const bad = await adoFetch(
      `${emulator.orgUrl(ORG)}/${PROJECT}/_apis/build/builds/${id}?api-version=7.1`,
      {
        method: 'PATCH',
        body: { status: 'exploded' },
      },
    );
    expect(bad.status).toBe(400);
  });

  it('lists and creates pipelines with the Pipelines shape', async () => {
    const pipelines = await api.getPipelinesApi();
    const list = await pipelines.listPipelines(PROJECT);
    expect(list.map((p) => p.name)).toEqual([BUILD_PIPELINE.name, RELEASE_PIPELINE.name]);
    const created = await pipelines.createPipeline(
      {
        name: 'new-one',
        folder: '\\ml',
        configuration: {
          type: ConfigurationType.Yaml,
          // The client's CreatePipelineConfigurationParameters type omits path/repository; the REST API needs them.
          ...{ path: 'pipelines/build.yml', repository: { fullName: 'contoso/ai-app', type: 'gitHub' } },
        },
      },
      PROJECT,
    );
    expect(created.id).toBe(RELEASE_PIPELINE.id + 1);
    expect(created.folder).toBe('\\ml');
    const fetched = await pipelines.getPipeline(PROJECT, created.id ?? 0);
    expect(fetched.name).toBe('new-one');
    const duplicate = await adoFetch(`${emulator.orgUrl(ORG)}/${PROJECT}/_apis/pipelines?api-version=7.1`, {
      method: 'POST',
      body: {
        name: 'new-one',
        folder: '\\ml',
        configuration: {
          type: 'yaml',
          path: 'x.yml',
          repository: { fullName: 'contoso/ai-app', type: 'gitHub' },
        },
      },
    });
    expect(duplicate.status).toBe(409);
  });

  it('rejects malformed JSON with the ADO error shape and unknown routes with 404', async () => {
    const bad = await adoFetch(
      `${emulator.orgUrl(ORG)}/${PROJECT}/_apis/pipelines/${BUILD_PIPELINE.id}/runs?api-version=7.1`,
      { method: 'POST', body: '{"templateParameters":' },
    );
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ $id: '1', typeKey: 'VssRequestContentException' });
    const missing = await adoFetch(`${emulator.orgUrl(ORG)}/${PROJECT}/_apis/nothing/here`);
    expect(missing.status).toBe(404);
    const preview = await adoFetch(`${emulator.orgUrl(ORG)}/${PROJECT}/_apis/build/builds?api-version=7.2`);
    expect(preview.status).toBe(400);
    expect(preview.json).toMatchObject({ typeKey: 'VssInvalidPreviewVersionException' });
  });
});
