/**
 * Nothing lost, nothing twice: distinct events under injected Azure DevOps faults each end
 * in exactly one run, and storms of the same delivery end in one run or one release.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SECRETS } from '../support/appEnv.js';
import { deliverEvents, uploadModel } from '../support/eventGrid.js';
import { githubDelivery, postDelivery, pushPayload, sha } from '../support/github.js';
import { at, records, responseJson } from '../../tools/json.js';
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

let stack: Stack;

beforeAll(async () => {
  // A short request timeout: a held request becomes an ambiguous failure within a second.
  stack = await startStack({ AZURE_DEVOPS_TIMEOUT_SECONDS: '1' });
  await publishModel(stack, '1.0.0');
}, 60_000);
afterAll(async () => {
  await stack.stop();
});

async function push(commit: string, deliveryId?: string): Promise<number> {
  const delivery = githubDelivery(
    pushPayload({ after: commit }),
    TEST_SECRETS.webhook,
    deliveryId === undefined ? {} : { deliveryId },
  );
  return (await postDelivery(stack.host.url, delivery)).status;
}

/** Every flow in the ledger, through the flows API (paged). */
async function allFlows(): Promise<Record<string, unknown>[]> {
  const flows: Record<string, unknown>[] = [];
  let token: string | undefined;
  do {
    const query = token === undefined ? '' : `&continuationToken=${encodeURIComponent(token)}`;
    const page = (await responseJson(await fetch(`${stack.host.url}/api/flows?limit=100${query}`))).body;
    flows.push(...records(page.flows));
    token = typeof page.continuationToken === 'string' ? page.continuationToken : undefined;
  } while (token !== undefined);
  return flows;
}

function flowIdsOfRuns(pipelineId: number): string[] {
  return runsCreated(stack.emulator, pipelineId).map((run) =>
    String(at(run.body, 'templateParameters', 'flowId')),
  );
}

describe('under 30 % Azure DevOps faults (429 with Retry-After, 503, timeouts, resets)', () => {
  it('turns 200 distinct pushes into exactly 200 runs, with every flow build-started', async () => {
    const runsBefore = runsCreated(stack.emulator, 1).length;
    stack.emulator.setFaults({
      probability: 0.3,
      kinds: ['429', '503', 'timeout', 'reset'],
      retryAfterSeconds: 1,
    });
    const commits = Array.from({ length: 200 }, (_, index) => sha(`fault-commit-${index}`));
    // GitHub delivers concurrently; 20 at a time keeps this 2-core machine responsive.
    for (let start = 0; start < commits.length; start += 20) {
      const statuses = await Promise.all(commits.slice(start, start + 20).map((commit) => push(commit)));
      expect(statuses.every((status) => status === 202)).toBe(true);
    }
    await drained(stack, 120_000).catch(async (error: unknown) => {
      const counts: Record<string, number> = {};
      for (const line of stack.logs) {
        const key = line
          .replace(/\{.*$/, '')
          .replace(/[0-9a-f-]{20,}/g, 'ID')
          .slice(0, 90);
        counts[key] = (counts[key] ?? 0) + 1;
      }
      console.log(JSON.stringify(counts, null, 1));
      console.log(
        stack.logs
          .filter((line) => line.includes('fail') || line.includes('rror'))
          .slice(-15)
          .join('\n'),
      );
      console.log((await stack.queue.getProperties()).approximateMessagesCount);
      throw error;
    });
    stack.emulator.setFaults(null);

    const faulted = stack.emulator.requests().filter((request) => request.fault !== undefined);
    expect(faulted.length).toBeGreaterThan(30);
    const runFlowIds = flowIdsOfRuns(1).slice(runsBefore);
    expect(runFlowIds).toHaveLength(200);
    expect(new Set(runFlowIds).size).toBe(200);

    const pushFlows = (await allFlows()).filter((flow) => flow.trigger === 'push');
    expect(pushFlows).toHaveLength(200);
    expect(pushFlows.filter((flow) => flow.status !== 'build-started').map((flow) => flow.status)).toEqual(
      [],
    );
    expect(new Set(pushFlows.map((flow) => at(flow, 'build', 'id'))).size).toBe(200);
  }, 180_000);
});

describe('duplicate storms: the same delivery 200 times at once', () => {
  it('starts one run for one GitHub delivery', async () => {
    const before = runsCreated(stack.emulator, 1).length;
    const deliveryId = crypto.randomUUID();
    const statuses = await Promise.all(
      Array.from({ length: 200 }, () => push(sha('storm-push'), deliveryId)),
    );
    expect(statuses.every((status) => status === 200 || status === 202)).toBe(true);
    await drained(stack);
    expect(runsCreated(stack.emulator, 1).slice(before)).toHaveLength(1);
  }, 60_000);

  it('starts one run for one Event Grid event', async () => {
    const before = runsCreated(stack.emulator, 1).length;
    const { events } = await uploadModel(stack.models, stack.urls.blob, 'fraud', '1.1.0');
    const manifestEvent = events.at(-1);
    const responses = await Promise.all(
      Array.from({ length: 200 }, () => deliverEvents(stack.host.url, 'modelUploaded', [manifestEvent])),
    );
    expect(responses.every((response) => response.status === 200)).toBe(true);
    await drained(stack);
    expect(runsCreated(stack.emulator, 1).slice(before)).toHaveLength(1);
  }, 60_000);

  it('starts one release for one service-hook notification', async () => {
    await drained(stack);
    const buildId = await newestBuildId(stack);
    const releasesBefore = releasesCreated(stack.emulator, 'pipeline').length;
    await finishBuild(stack, buildId, 'succeeded');
    const delivered = stack.emulator.deliveries().find((delivery) => delivery.resourceId === buildId);
    if (delivered === undefined) throw new Error(`No build.complete of build ${buildId}`);
    const notification = {
      subscriptionId: delivered.subscriptionId,
      notificationId: delivered.notificationId,
      eventType: 'build.complete',
      publisherId: 'tfs',
      resource: { id: buildId, status: 'completed', result: 'succeeded' },
      resourceVersion: '2.0',
    };
    const authorization = `Basic ${Buffer.from(`azure-devops:${TEST_SECRETS.serviceHookPassword}`).toString('base64')}`;
    const statuses = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const response = await fetch(`${stack.host.url}/api/devops/service-hook`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization },
          body: JSON.stringify(notification),
        });
        await response.arrayBuffer();
        return response.status;
      }),
    );
    expect(statuses.every((status) => status === 202)).toBe(true);
    await drained(stack);
    expect(releasesCreated(stack.emulator, 'pipeline').slice(releasesBefore)).toHaveLength(1);
  }, 60_000);
});
