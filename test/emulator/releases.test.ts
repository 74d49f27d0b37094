import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebApi } from 'azure-devops-node-api';
import { ReleaseReason, ReleaseStatus } from 'azure-devops-node-api/interfaces/ReleaseInterfaces.js';
import type { AdoEmulator } from '../../tools/ado-emulator/server.js';
import {
  BUILD_PIPELINE,
  ORG,
  PROJECT,
  RELEASE_DEFINITION,
  clientFor,
  startSeededEmulator,
} from './support.js';

describe('ADO emulator: classic releases through resource-area discovery', () => {
  let emulator: AdoEmulator;
  let api: WebApi;

  beforeAll(async () => {
    emulator = await startSeededEmulator();
    api = clientFor(emulator);
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('resolves the Release API to the vsrm base and creates, gets and lists releases', async () => {
    const run = await (await api.getPipelinesApi()).runPipeline({}, PROJECT, BUILD_PIPELINE.id);
    const releases = await api.getReleaseApi();
    const discovery = emulator.requests().map((r) => `${r.method} ${r.path}`);
    expect(discovery).toContain(`OPTIONS /${ORG}/_apis/Location`);
    expect(discovery).toContain(`GET /${ORG}/_apis/ResourceAreas`);

    const created = await releases.createRelease(
      {
        definitionId: RELEASE_DEFINITION.id,
        description: 'flow f1',
        artifacts: [
          { alias: '_ai-app-build', instanceReference: { id: String(run.id ?? 0), name: run.name ?? '' } },
        ],
        variables: { modelVersion: { value: '7' } },
        reason: ReleaseReason.ContinuousIntegration,
      },
      PROJECT,
    );
    expect(created.id).toBe(1);
    expect(created.name).toBe('Release-1');
    expect(created.status).toBe(ReleaseStatus.Active);
    expect(created.reason).toBe(ReleaseReason.ContinuousIntegration);
    expect(created.createdOn).toBeInstanceOf(Date);
    expect(created.releaseDefinition).toMatchObject({
      id: RELEASE_DEFINITION.id,
      name: RELEASE_DEFINITION.name,
    });
    expect(created.variables).toEqual({ modelVersion: { value: '7' } });
    expect(created.artifacts?.[0]).toMatchObject({
      alias: '_ai-app-build',
      definitionReference: { version: { id: String(run.id ?? 0), name: run.name } },
    });
    expect(created.environments).toEqual([]);
    const links: unknown = created._links;
    expect(links).toMatchObject({
      web: {
        href: `${emulator.orgUrl(ORG)}/${PROJECT}/_releaseProgress?_a=release-pipeline-progress&releaseId=${created.id ?? 0}`,
      },
    });

    const post = emulator.requests().find((r) => r.method === 'POST' && r.path.includes('/release'));
    expect(post?.path).toBe(`/vsrm/${ORG}/${PROJECT}/_apis/Release/releases`);
    expect(post?.apiVersion).toBe('7.2-preview.9');

    const fetched = await releases.getRelease(PROJECT, created.id ?? 0);
    expect(fetched.name).toBe('Release-1');
    const second = await releases.createRelease({ definitionId: RELEASE_DEFINITION.id }, PROJECT);
    expect(second.name).toBe('Release-2');

    const listed = await releases.getReleases(PROJECT, RELEASE_DEFINITION.id);
    expect(listed.map((r) => r.id)).toEqual([2, 1]);
    const top1 = await releases.getReleases(
      PROJECT,
      RELEASE_DEFINITION.id,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      1,
    );
    expect(top1.map((r) => r.id)).toEqual([2]);
    expect(await releases.getReleases(PROJECT, 999)).toEqual([]);
    const definitions = await releases.getReleaseDefinitions(PROJECT);
    expect(definitions.map((d) => d.name)).toEqual([RELEASE_DEFINITION.name]);
  });

  it('answers 404 for an unknown definition (the client resolves null) and 400 for a missing one', async () => {
    const releases = await api.getReleaseApi();
    await expect(releases.createRelease({ definitionId: 999 }, PROJECT)).resolves.toBeNull();
    expect(emulator.requests().at(-1)).toMatchObject({ status: 404 });
    await expect(releases.createRelease({ description: 'no definition' }, PROJECT)).rejects.toMatchObject({
      statusCode: 400,
    });
    await expect(releases.getRelease(PROJECT, 4242)).resolves.toBeNull();
  });
});
