import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WebApi } from 'azure-devops-node-api';
import { BuildResult, BuildStatus } from 'azure-devops-node-api/interfaces/BuildInterfaces.js';
import {
  DeploymentStatus,
  EnvironmentStatus,
  ReleaseExpands,
  ReleaseReason,
  ReleaseStatus,
} from 'azure-devops-node-api/interfaces/ReleaseInterfaces.js';
import type { AdoEmulator } from '../../tools/ado-emulator/server.js';
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
  STAGES,
  adoFetch,
  clientFor,
  startSeededEmulator,
} from './support.js';

describe('ADO emulator: classic releases', () => {
  let emulator: AdoEmulator;
  let api: WebApi;
  let releasesUrl: string;

  beforeAll(async () => {
    emulator = await startSeededEmulator();
    api = clientFor(emulator);
    releasesUrl = `${emulator.url}/vsrm/${ORG}/${PROJECT}/_apis/Release/releases?api-version=7.1`;
  });
  afterAll(async () => {
    await emulator.close();
  });
  beforeEach(() => {
    emulator.reset();
  });

  async function succeededBuild(
    pipelineId: number = BUILD_PIPELINE.id,
  ): Promise<{ id: number; name: string }> {
    const run = await (await api.getPipelinesApi()).runPipeline({}, PROJECT, pipelineId);
    await (
      await api.getBuildApi()
    ).updateBuild({ status: BuildStatus.Completed, result: BuildResult.Succeeded }, PROJECT, run.id ?? 0);
    return { id: run.id ?? 0, name: run.name ?? '' };
  }

  /** What the app sends after issue 10: definition, description, the build as artifact, no variables. */
  function appRequest(build: { id: number; name: string }, extra: Record<string, unknown> = {}) {
    return {
      definitionId: RELEASE_DEFINITION.id,
      description: `Build ${build.name} (flow f1)`,
      artifacts: [{ alias: 'build', instanceReference: { id: String(build.id), name: build.name } }],
      ...extra,
    };
  }

  async function releaseCount(): Promise<number> {
    return (await (await api.getReleaseApi()).getReleases(PROJECT, RELEASE_DEFINITION.id)).length;
  }

  it('resolves the Release API to the vsrm base and creates, gets and lists releases with their stages', async () => {
    const build = await succeededBuild();
    const releases = await api.getReleaseApi();
    const discovery = emulator.requests().map((r) => `${r.method} ${r.path}`);
    expect(discovery).toContain(`GET /${ORG}/_apis/ResourceAreas`);

    const created = await releases.createRelease(
      { ...appRequest(build), reason: ReleaseReason.ContinuousIntegration },
      PROJECT,
    );
    expect(created).toMatchObject({
      id: 1,
      name: 'Release-1',
      status: ReleaseStatus.Active,
      reason: ReleaseReason.ContinuousIntegration,
      releaseDefinition: RELEASE_DEFINITION,
      description: `Build ${build.name} (flow f1)`,
      variables: { approver: { value: 'ops' }, region: { value: 'westeurope' } },
    });
    expect(created.artifacts?.[0]).toMatchObject({
      alias: 'build',
      type: 'Build',
      definitionReference: {
        version: { id: String(build.id), name: build.name },
        definition: { id: String(BUILD_PIPELINE.id), name: BUILD_PIPELINE.name },
      },
    });
    expect(created.environments?.map((e) => [e.name, e.status, e.definitionEnvironmentId])).toEqual(
      STAGES.map((s) => [s.name, EnvironmentStatus.InProgress, s.id]),
    );
    const post = emulator.requests().find((r) => r.method === 'POST' && r.path.includes('/release'));
    expect(post).toMatchObject({
      path: `/vsrm/${ORG}/${PROJECT}/_apis/Release/releases`,
      apiVersion: '7.2-preview.9',
    });

    expect((await releases.getRelease(PROJECT, created.id ?? 0)).name).toBe('Release-1');
    const second = await releases.createRelease({ definitionId: RELEASE_DEFINITION.id }, PROJECT);
    expect(second.name).toBe('Release-2');
    // Left out, the artifact takes the latest succeeded build of its source.
    expect(second.artifacts?.[0]?.definitionReference?.version?.id).toBe(String(build.id));
    expect((await releases.getReleases(PROJECT, RELEASE_DEFINITION.id)).map((r) => r.id)).toEqual([2, 1]);
    expect(await releases.getReleases(PROJECT, 999)).toEqual([]);
    expect((await releases.getReleaseDefinitions(PROJECT)).map((d) => d.name)).toEqual([
      RELEASE_DEFINITION.name,
    ]);
  });

  it('lists releases without artifacts and stages unless $expand asks, and finds them by artifact version', async () => {
    const build = await succeededBuild();
    const other = await succeededBuild();
    const releases = await api.getReleaseApi();
    await releases.createRelease(appRequest(build), PROJECT);
    await releases.createRelease(appRequest(other), PROJECT);
    const u = undefined;
    const plain = await releases.getReleases(PROJECT, RELEASE_DEFINITION.id);
    expect(plain.map((r) => [r.artifacts, r.environments])).toEqual([
      [u, u],
      [u, u],
    ]);
    // The app's search: since a time, top 100, artifacts expanded, made from one build.
    const found = await releases.getReleases(
      PROJECT,
      RELEASE_DEFINITION.id,
      u,
      u,
      u,
      u,
      u,
      new Date(Date.now() - 60_000),
      u,
      u,
      100,
      u,
      ReleaseExpands.Artifacts,
      u,
      u,
      String(build.id),
    );
    expect(
      found.map((r) => [r.id, r.artifacts?.[0]?.definitionReference?.version?.id, r.environments]),
    ).toEqual([[1, String(build.id), u]]);
  });

  it('refuses a variable the definition does not declare, with the service message', async () => {
    const build = await succeededBuild();
    const res = await adoFetch(releasesUrl, {
      method: 'POST',
      body: appRequest(build, { variables: { flowId: { value: 'f1' }, modelName: { value: 'm' } } }),
    });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({
      $id: '1',
      typeKey: 'InvalidRequestException',
      message:
        'Variable(s) flowId, modelName do not exist in the release pipeline at scope: Release. New variables cannot be added while creating a release. Check the scope of the variable(s) or remove them and try again.',
    });
    expect(await releaseCount()).toBe(0);
  });

  it('refuses a declared variable that is not settable at release time, and takes one that is', async () => {
    const build = await succeededBuild();
    const locked = await adoFetch(releasesUrl, {
      method: 'POST',
      body: appRequest(build, { variables: { region: { value: 'eastus' } } }),
    });
    expect(locked.status).toBe(400);
    expect(locked.json).toMatchObject({
      typeKey: 'InvalidRequestException',
      message: expect.stringMatching(/^Variable\(s\) region cannot be overridden while creating a release/),
    });
    expect(await releaseCount()).toBe(0);
    const settable = await adoFetch(releasesUrl, {
      method: 'POST',
      body: appRequest(build, { variables: { Approver: { value: 'alice' } } }),
    });
    expect(settable.status).toBe(200);
    expect(settable.json).toMatchObject({
      variables: { approver: { value: 'alice' }, region: { value: 'westeurope' } },
    });
  });

  it('refuses an artifact alias that is not one of the definition’s sources', async () => {
    const build = await succeededBuild();
    const res = await adoFetch(releasesUrl, {
      method: 'POST',
      body: {
        definitionId: RELEASE_DEFINITION.id,
        artifacts: [
          { alias: '_ai-app-build', instanceReference: { id: String(build.id), name: build.name } },
        ],
      },
    });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({
      typeKey: 'InvalidRequestException',
      message: `Artifact source with alias '_ai-app-build' is not linked to release pipeline '${RELEASE_DEFINITION.name}'. Specify a valid alias and try again.`,
    });
    expect(await releaseCount()).toBe(0);
  });

  it('refuses an artifact version that is not a build of the source pipeline, or none at all', async () => {
    const foreign = await succeededBuild(PLAIN_PIPELINE.id);
    const wrong = await adoFetch(releasesUrl, {
      method: 'POST',
      body: appRequest(foreign),
    });
    expect(wrong.status).toBe(400);
    expect(wrong.json).toMatchObject({
      message: `Version '${foreign.id}' of artifact source 'build' is not a build of pipeline '${BUILD_PIPELINE.name}'. Specify a valid value and try again.`,
    });
    const none = await adoFetch(releasesUrl, {
      method: 'POST',
      body: { definitionId: RELEASE_DEFINITION.id },
    });
    expect(none.json).toMatchObject({
      message:
        "VS402962: No artifact version id is specified corresponding to artifact source 'build'. Specify a valid value and try again.",
    });
    expect(await releaseCount()).toBe(0);
  });

  it('refuses a body the Releases Create spec does not allow, and answers 404/400 for definitions', async () => {
    const build = await succeededBuild();
    const numericId = await adoFetch(releasesUrl, {
      method: 'POST',
      body: {
        definitionId: RELEASE_DEFINITION.id,
        artifacts: [{ alias: 'build', instanceReference: { id: build.id } }],
      },
    });
    expect(numericId.status).toBe(400);
    expect(numericId.json).toMatchObject({
      message: expect.stringContaining("'artifacts[0].instanceReference.id' must be string"),
    });
    const badReason = await adoFetch(releasesUrl, {
      method: 'POST',
      body: { ...appRequest(build), reason: 'whim' },
    });
    expect(badReason.json).toMatchObject({ message: expect.stringContaining("'reason' must be one of") });
    const releases = await api.getReleaseApi();
    await expect(releases.createRelease({ definitionId: 999 }, PROJECT)).resolves.toBeNull();
    await expect(releases.createRelease({ description: 'no definition' }, PROJECT)).rejects.toMatchObject({
      statusCode: 400,
    });
    await expect(releases.getRelease(PROJECT, 4242)).resolves.toBeNull();
    expect(await releaseCount()).toBe(0);
  });

  it('completes deployments through the control API; GET shows each stage’s status', async () => {
    const build = await succeededBuild();
    const releases = await api.getReleaseApi();
    const release = await releases.createRelease(appRequest(build), PROJECT);
    const complete = (body: Record<string, unknown>) =>
      adoFetch(`${emulator.url}/_emulator/releases/complete`, { method: 'POST', auth: null, body });
    const staging = await complete({
      org: ORG,
      releaseId: release.id,
      status: 'succeeded',
      environment: 'staging',
    });
    expect(staging.json).toMatchObject({ changed: 1 });
    let current = await releases.getRelease(PROJECT, release.id ?? 0);
    expect(current.environments?.map((e) => [e.name, e.status])).toEqual([
      ['staging', EnvironmentStatus.Succeeded],
      ['production', EnvironmentStatus.InProgress],
    ]);
    await complete({ org: ORG, releaseId: release.id, status: 'rejected' });
    current = await releases.getRelease(PROJECT, release.id ?? 0);
    expect(current.environments?.map((e) => [e.status, e.deploySteps?.[0]?.status])).toEqual([
      [EnvironmentStatus.Succeeded, DeploymentStatus.Succeeded],
      [EnvironmentStatus.Rejected, DeploymentStatus.Failed],
    ]);
    expect((await complete({ org: ORG, releaseId: release.id, status: 'succeeded' })).status).toBe(409);
    expect((await complete({ org: ORG, releaseId: release.id, status: 'done' })).status).toBe(400);
    expect((await complete({ org: ORG, releaseId: 99, status: 'succeeded' })).status).toBe(404);
  });

  it('answers what the Release spec describes (create, list, get, definitions)', async () => {
    const build = await succeededBuild();
    const created = await (await api.getReleaseApi()).createRelease(appRequest(build), PROJECT);
    await adoFetch(`${emulator.url}/_emulator/releases/complete`, {
      method: 'POST',
      auth: null,
      body: { org: ORG, releaseId: created.id, status: 'partiallySucceeded', environment: 1 },
    });
    const base = `${emulator.url}/vsrm/${ORG}/${PROJECT}/_apis/Release`;
    const release = definitionValidator(SPEC_FILES.releaseFull, 'Release');
    const checks: [string, string, unknown, (body: unknown) => string[]][] = [
      ['POST', `${base}/releases`, appRequest(build), responseValidator(VALIDATED_OPERATIONS.createRelease)],
      ['GET', `${base}/releases?$expand=environments,artifacts`, undefined, releasesList()],
      ['GET', `${base}/releases`, undefined, releasesList()],
      ['GET', `${base}/releases/${created.id ?? 0}`, undefined, release],
      ['GET', `${base}/definitions`, undefined, definitionsOp('')],
      ['GET', `${base}/definitions/${RELEASE_DEFINITION.id}`, undefined, definitionsOp('/{definitionId}')],
    ];
    for (const [method, url, body, validate] of checks) {
      const res = await adoFetch(`${url}${url.includes('?') ? '&' : '?'}api-version=7.1`, { method, body });
      expect(res.status, `${method} ${url}`).toBe(200);
      expect(validate(res.json), `${method} ${url}`).toEqual([]);
    }
  });
});

function releasesList() {
  return responseValidator({
    spec: SPEC_FILES.releases,
    method: 'get',
    path: '/{organization}/{project}/_apis/release/releases',
  });
}

function definitionsOp(suffix: string) {
  return responseValidator({
    spec: SPEC_FILES.releaseFull,
    method: 'get',
    path: `/{organization}/{project}/_apis/release/definitions${suffix}`,
  });
}
