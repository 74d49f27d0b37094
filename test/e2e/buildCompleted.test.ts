import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SECRETS } from '../support/appEnv.js';
import { at, records, responseJson, type JsonObject } from '../../tools/json.js';
import { completeRelease } from '../../tools/sandbox/ado.js';
import {
  drained,
  finishBuild,
  newestBuildId,
  ORG,
  PROJECT,
  publishModel,
  releasesCreated,
  startStack,
  type Stack,
} from '../support/stack.js';

let stack: Stack;
let buildId: number;
const hookAuth = `Basic ${Buffer.from(`azure-devops:${TEST_SECRETS.serviceHookPassword}`).toString('base64')}`;

/** A build.complete notification in the documented service-hook shape (resource version 2.0). */
function notification(
  id: number,
  overrides: { result?: string; status?: string; notificationId?: number; eventType?: string } = {},
) {
  return {
    subscriptionId: '8d6f4c1e-2b3a-4d5e-9f60-7a8b9c0d1e2f',
    notificationId: overrides.notificationId ?? 1,
    id: '4a5d99d6-1c75-4e53-91b9-ee80057d4ce3',
    eventType: overrides.eventType ?? 'build.complete',
    publisherId: 'tfs',
    message: { text: `Build ${id} succeeded` },
    resource: {
      id,
      buildNumber: `20261128.${id}`,
      status: overrides.status ?? 'completed',
      result: overrides.result ?? 'succeeded',
      url: `${stack.emulator.orgUrl(ORG)}/${PROJECT}/_apis/build/Builds/${id}`,
      definition: { id: 1, name: 'ai-app-build' },
      project: { name: PROJECT },
    },
    resourceVersion: '2.0',
    createdDate: new Date().toISOString(),
  };
}

async function postHook(body: unknown, raw?: string) {
  const response = await fetch(`${stack.host.url}/api/devops/service-hook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: hookAuth },
    body: raw ?? JSON.stringify(body),
  });
  return responseJson(response);
}

beforeAll(async () => {
  stack = await startStack({
    RELEASE_MODE: 'classic',
    RELEASE_DEFINITION_ID: '3',
    RELEASE_PIPELINE_ID: undefined,
  });
  await publishModel(stack, '2.0.0');
  buildId = await newestBuildId(stack);
});
afterAll(async () => {
  await stack.stop();
});

describe('build.complete service hook', () => {
  it('refuses bad credentials with 401 and a Basic challenge', async () => {
    for (const authorization of [
      undefined,
      'Basic Zm9vOmJhcg==',
      `Bearer ${TEST_SECRETS.serviceHookPassword}`,
    ]) {
      const response = await fetch(`${stack.host.url}/api/devops/service-hook`, {
        method: 'POST',
        headers: authorization === undefined ? {} : { authorization },
        body: JSON.stringify(notification(buildId)),
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic/);
    }
  });

  it('answers an unparsable body with 400 and other event types with 200', async () => {
    expect((await postHook(undefined, '{not json')).status).toBe(400);
    expect(await postHook(notification(buildId, { eventType: 'git.push' }))).toMatchObject({
      status: 200,
      body: { status: 'ignored' },
    });
  });

  it('does not believe a forged "succeeded" for a build that is still running', async () => {
    const response = await postHook(notification(buildId, { result: 'succeeded' }));
    expect(response).toMatchObject({ status: 202, body: { status: 'accepted', buildId } });
    await drained(stack);
    expect(releasesCreated(stack.emulator, 'classic')).toHaveLength(0);
    const flows = records((await responseJson(await fetch(`${stack.host.url}/api/flows`))).body.flows);
    expect(flows.map((flow) => flow.status)).toEqual(['build-started']);
    expect(stack.logs.join('\n')).toContain('"reason":"not-completed"');
  });

  it('ignores a build the project does not have', async () => {
    expect(await postHook(notification(999_999))).toMatchObject({ status: 202 });
    await drained(stack);
    expect(releasesCreated(stack.emulator, 'classic')).toHaveLength(0);
    expect((await stack.poisonQueue.getProperties()).approximateMessagesCount).toBe(0);
  });

  it('creates one classic release for a succeeded build, with the build as its only input', async () => {
    await finishBuild(stack, buildId, 'succeeded');
    expect(releasesCreated(stack.emulator, 'classic')).toHaveLength(1);
    const body = releasesCreated(stack.emulator, 'classic')[0]?.body;
    expect(body).toMatchObject({
      definitionId: 3,
      artifacts: [{ alias: 'build', instanceReference: { id: String(buildId) } }],
    });
    // Azure DevOps refuses variables the definition does not declare settable at release time.
    expect(body).not.toHaveProperty('variables');
  });

  it('creates no second release when the notification is delivered again, however often', async () => {
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        postHook(notification(buildId, { notificationId: 100 + index })),
      ),
    );
    expect(responses.every((response) => response.status === 202)).toBe(true);
    await drained(stack);
    expect(releasesCreated(stack.emulator, 'classic')).toHaveLength(1);
  });
});

describe('ms.vss-release.deployment-completed-event: classic releases finish', () => {
  /** The flow of a build, as the API shows it. */
  async function flowOfBuild(id: number): Promise<JsonObject | undefined> {
    const flows = records((await responseJson(await fetch(`${stack.host.url}/api/flows`))).body.flows);
    return flows.find((flow) => at(flow, 'build', 'id') === id);
  }

  it('marks the flow released once Azure DevOps says every stage deployed (re-read, not believed)', async () => {
    const flow = await flowOfBuild(buildId);
    const releaseId = Number(at(flow, 'release', 'id'));
    expect(flow).toMatchObject({ status: 'releasing', release: { mode: 'classic' } });
    await completeRelease(stack.ado, releaseId, 'succeeded');
    await drained(stack);
    expect(await flowOfBuild(buildId)).toMatchObject({ status: 'released', reason: 'deployment succeeded' });
    const delivered = stack.emulator
      .deliveries()
      .filter((d) => d.eventType === 'ms.vss-release.deployment-completed-event');
    expect(delivered.map((delivery) => delivery.status)).toEqual([202]);
  });

  it('ignores a forged deployment event for a release still deploying, and one the app never started', async () => {
    const forged = (releaseId: number) => ({
      subscriptionId: '8d6f4c1e-2b3a-4d5e-9f60-7a8b9c0d1e2f',
      notificationId: 900 + releaseId,
      eventType: 'ms.vss-release.deployment-completed-event',
      publisherId: 'rm',
      resource: { environment: { status: 'succeeded', release: { id: releaseId } } },
    });
    // A second build of the same flow's model, pushed and built, released but not deployed yet.
    await publishModel(stack, '2.1.0');
    const second = await newestBuildId(stack);
    await finishBuild(stack, second, 'succeeded');
    const releasing = await flowOfBuild(second);
    expect(releasing).toMatchObject({ status: 'releasing' });
    const releaseId = Number(at(releasing, 'release', 'id'));
    expect(await postHook(forged(releaseId))).toMatchObject({ status: 202, body: { releaseId } });
    expect(await postHook(forged(424242))).toMatchObject({ status: 202 });
    await drained(stack);
    expect((await flowOfBuild(second))?.status).toBe('releasing');
    expect(stack.logs.join('\n')).toContain('"outcome":"release-pending"');

    // Then the deployment is rejected for real: the flow fails, replayable, with the reason.
    await completeRelease(stack.ado, releaseId, 'rejected');
    await drained(stack);
    expect(await flowOfBuild(second)).toMatchObject({
      status: 'failed',
      reason: 'deployment rejected',
      lastError: { code: 'DEPLOYMENT_REJECTED' },
    });
  });
});
