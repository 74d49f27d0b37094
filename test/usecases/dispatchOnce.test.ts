/**
 * `dispatchOnce` — claim the flow for a queue message, reconcile, call, record — through the
 * build phase (`startBuild`), on the in-memory ledger and an in-test build pipeline.
 */
import { describe, expect, it } from 'vitest';
import { InMemoryFlowLedger } from '../../src/adapters/inMemoryFlowLedger.js';
import { newFlow, transition, type FlowRecord } from '../../src/core/flow.js';
import { flowIdOf } from '../../src/core/flowId.js';
import { MAX_DEQUEUE_COUNT } from '../../src/app/flowQueue.js';
import type { BuildPipeline, StartedBuild } from '../../src/ports/buildPipeline.js';
import type { WorkItem } from '../../src/usecases/dispatchOnce.js';
import { startBuild } from '../../src/usecases/startBuild.js';
import { failures, recordingLogger } from '../support/fakes.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const CLAIM_MS = 5 * 60_000;
const COMMIT = 'c'.repeat(40);
const MODEL = {
  name: 'fraud',
  version: '1.0.0',
  uri: 'https://models/fraud/1.0.0/model.json',
  sha256: 'a'.repeat(64),
};
const FLOW_ID = flowIdOf(MODEL.name, MODEL.version, COMMIT);

function queuedFlow(): FlowRecord {
  return newFlow({
    flowId: FLOW_ID,
    modelName: MODEL.name,
    commit: COMMIT,
    branch: 'main',
    trigger: 'push',
    delivery: { source: 'github', id: 'push-1' },
    at: '2026-03-01T11:59:00.000Z',
    state: { status: 'build-queued', model: MODEL },
  });
}

/** The flow as a worker left it that sent the build request and was then killed (its claim still runs). */
function claimedBy(messageId: string): FlowRecord {
  return {
    ...queuedFlow(),
    claimedBy: messageId,
    claimedUntil: new Date(NOW.getTime() + 60_000).toISOString(),
    dispatchedAt: new Date(NOW.getTime() - 30_000).toISOString(),
    attempts: 1,
  };
}

/** The AI app's build pipeline, in memory: `start` answers or fails as told; `find` finds what is there. */
function fakeBuilds(options: { readonly failWith?: Error; readonly existing?: StartedBuild } = {}) {
  const calls: string[] = [];
  const builds: BuildPipeline = {
    start: (request) => {
      calls.push(`start ${request.flowId}`);
      return options.failWith === undefined
        ? Promise.resolve({ id: 41, url: 'https://dev.azure.com/o/p/_build/results?buildId=41' })
        : Promise.reject(options.failWith);
    },
    find: (flowId) => {
      calls.push(`find ${flowId}`);
      return Promise.resolve(options.existing);
    },
    get: () => Promise.reject(new Error('not used by startBuild')),
  };
  return { builds, calls };
}

function work(messageId: string, dequeueCount = 1): WorkItem {
  return {
    messageId,
    dequeueCount,
    maxDequeueCount: MAX_DEQUEUE_COUNT,
    delivery: { source: 'github', id: 'push-1' },
  };
}

async function setUp(flow: FlowRecord, builds: BuildPipeline) {
  const ledger = new InMemoryFlowLedger();
  await ledger.createFlow(flow);
  const logger = recordingLogger();
  // One try per delivery: retries within a delivery are withRetries' business (retry.test.ts).
  const deps = { ledger, clock: () => NOW, logger, claimMs: CLAIM_MS, retry: { maxAttempts: 1 }, builds };
  const stored = async (): Promise<FlowRecord | undefined> => (await ledger.getFlow(FLOW_ID))?.value;
  return { deps, logger, stored };
}

describe('dispatchOnce (the build phase)', () => {
  it('starts the build once, claiming the flow for the message and recording the run', async () => {
    const { builds, calls } = fakeBuilds();
    const { deps, stored } = await setUp(queuedFlow(), builds);
    const outcome = await startBuild(deps, FLOW_ID, work('m1'));
    expect(outcome).toMatchObject({ kind: 'started', value: { id: 41 } });
    expect(calls).toEqual([`start ${FLOW_ID}`]);
    expect(await stored()).toMatchObject({
      status: 'build-started',
      build: { id: 41 },
      dispatchedAt: NOW.toISOString(),
      attempts: 1,
    });
    expect(await stored()).not.toHaveProperty('claimedBy');
  });

  it('stands down when another message holds the claim: claimed-elsewhere, nothing sent, nothing written', async () => {
    const { builds, calls } = fakeBuilds();
    const { deps, stored } = await setUp(claimedBy('m1'), builds);
    const before = await stored();
    expect(await startBuild(deps, FLOW_ID, work('m2'))).toEqual({
      kind: 'claimed-elsewhere',
      flowId: FLOW_ID,
    });
    expect(calls).toEqual([]);
    expect(await stored()).toEqual(before);
  });

  it('takes over a claim that has run out', async () => {
    const { builds, calls } = fakeBuilds();
    const expired = { ...claimedBy('m1'), claimedUntil: new Date(NOW.getTime() - 1).toISOString() };
    const { deps } = await setUp(expired, builds);
    expect(await startBuild(deps, FLOW_ID, work('m2'))).toMatchObject({ kind: 'started' });
    // An earlier request went out: look for its run first.
    expect(calls).toEqual([`find ${FLOW_ID}`, `start ${FLOW_ID}`]);
  });

  it('lets a message redelivered after a crash take its own claim back, and adopt the run it created', async () => {
    const existing = { id: 40, url: 'https://dev.azure.com/o/p/_build/results?buildId=40' };
    const { builds, calls } = fakeBuilds({ existing });
    const { deps, stored } = await setUp(claimedBy('m1'), builds);
    const outcome = await startBuild(deps, FLOW_ID, work('m1', 2));
    expect(outcome).toMatchObject({ kind: 'adopted', value: existing });
    expect(calls).toEqual([`find ${FLOW_ID}`]);
    expect(await stored()).toMatchObject({
      status: 'build-started',
      build: { id: 40 },
      reason: 'adopted the run an earlier attempt created',
      attempts: 2,
    });
  });

  it('records a transient failure and throws it, keeping the claim so that the same message retries', async () => {
    const { builds } = fakeBuilds({ failWith: failures.unavailable() });
    const { deps, stored } = await setUp(queuedFlow(), builds);
    await expect(startBuild(deps, FLOW_ID, work('m1', 1))).rejects.toMatchObject({ code: 'ADO_UNAVAILABLE' });
    expect(await stored()).toMatchObject({
      status: 'build-queued',
      claimedBy: 'm1',
      lastError: { code: 'ADO_UNAVAILABLE', at: NOW.toISOString() },
    });
  });

  it('gives up on the last delivery: the flow is failed, and the error is thrown (to the poison queue)', async () => {
    const { builds } = fakeBuilds({ failWith: failures.unavailable() });
    const { deps, logger, stored } = await setUp(queuedFlow(), builds);
    await expect(startBuild(deps, FLOW_ID, work('m1', MAX_DEQUEUE_COUNT))).rejects.toMatchObject({
      code: 'ADO_UNAVAILABLE',
    });
    expect(await stored()).toMatchObject({
      status: 'failed',
      model: MODEL,
      reason: `gave up after ${MAX_DEQUEUE_COUNT} deliveries`,
      lastError: { code: 'ADO_UNAVAILABLE' },
    });
    expect(await stored()).not.toHaveProperty('claimedBy');
    expect(logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'Giving up on the flow',
        properties: expect.objectContaining({ code: 'ADO_UNAVAILABLE' }),
      }),
    );
  });

  it('marks the flow failed at once on a permanent refusal, and returns refused without throwing', async () => {
    const { builds, calls } = fakeBuilds({ failWith: failures.refused() });
    const { deps, stored } = await setUp(queuedFlow(), builds);
    const outcome = await startBuild(deps, FLOW_ID, work('m1', 1));
    expect(outcome).toMatchObject({ kind: 'refused', code: 'ADO_REJECTED', flow: { status: 'failed' } });
    expect(calls).toEqual([`start ${FLOW_ID}`]);
    expect(await stored()).toMatchObject({
      status: 'failed',
      reason: 'refused by Azure DevOps: InfrastructureError: Azure DevOps answered 400',
      lastError: { code: 'ADO_REJECTED' },
    });
  });

  it('does nothing for a flow whose build already exists, or a flow that does not exist', async () => {
    const { builds, calls } = fakeBuilds();
    const started = transition(
      queuedFlow(),
      { status: 'build-started', model: MODEL, build: { id: 39, url: 'u' } },
      { source: 'github', id: 'push-1' },
      NOW.toISOString(),
    );
    const { deps } = await setUp(started, builds);
    expect(await startBuild(deps, FLOW_ID, work('m1'))).toMatchObject({ kind: 'not-pending' });
    expect(await startBuild(deps, '0'.repeat(20), work('m1'))).toEqual({
      kind: 'no-such-flow',
      flowId: '0'.repeat(20),
    });
    expect(calls).toEqual([]);
  });
});
