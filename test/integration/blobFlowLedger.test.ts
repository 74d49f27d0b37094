import { describe, expect, it } from 'vitest';
import { BlobFlowLedger } from '../../src/adapters/blobFlowLedger.js';
import { transition, type FlowRecord } from '../../src/core/flow.js';
import { nextBranchHead, nextCurrentModel, type BranchHead } from '../../src/core/pointers.js';
import type { AzureDevOps } from '../../src/ports/azureDevOps.js';
import { FlowEngine } from '../../src/usecases/flowEngine.js';
import { freshContainer } from '../support/storage.js';

function flow(flowId: string, createdAt: string): FlowRecord {
  const delivery = { source: 'github', id: `d-${flowId}` } as const;
  return {
    schemaVersion: 1,
    flowId,
    status: 'build-queued',
    modelName: 'fraud',
    model: {
      name: 'fraud',
      version: '1.0.0',
      uri: 'https://x/models/fraud/1.0.0/model.json',
      sha256: 'a'.repeat(64),
    },
    commit: 'c'.repeat(40),
    branch: 'main',
    trigger: 'push',
    triggers: [{ kind: 'push', delivery, at: createdAt }],
    attempts: 1,
    history: [{ status: 'build-queued', at: createdAt, delivery }],
    createdAt,
    updatedAt: createdAt,
  };
}

const id = (n: number): string => n.toString(16).padStart(20, '0');

describe('BlobFlowLedger against Azurite', () => {
  it('claims a flow once: a second create of the same id says it exists', async () => {
    const ledger = new BlobFlowLedger(await freshContainer('ledger'));
    const results = await Promise.all(
      Array.from({ length: 20 }, () => ledger.createFlow(flow(id(1), '2026-11-28T10:00:00.000Z'))),
    );
    expect(results.filter((result) => result !== 'exists')).toHaveLength(1);
  });

  it('refuses a replace with a stale etag', async () => {
    const ledger = new BlobFlowLedger(await freshContainer('ledger'));
    const created = await ledger.createFlow(flow(id(2), '2026-11-28T10:00:00.000Z'));
    if (created === 'exists') throw new Error('unexpected');
    const delivery = { source: 'system', id: 'x' } as const;
    const first = await ledger.replaceFlow(
      transition(created.value, 'build-started', delivery, '2026-11-28T10:00:01.000Z'),
      created.etag,
    );
    expect(first).not.toBe('conflict');
    const second = await ledger.replaceFlow(
      transition(created.value, 'failed', delivery, '2026-11-28T10:00:02.000Z'),
      created.etag,
    );
    expect(second).toBe('conflict');
    expect((await ledger.getFlow(id(2)))?.value.status).toBe('build-started');
  });

  it('lists flows newest first, page by page', async () => {
    const ledger = new BlobFlowLedger(await freshContainer('ledger'));
    for (let n = 0; n < 5; n++) await ledger.createFlow(flow(id(100 + n), `2026-11-28T10:00:0${n}.000Z`));
    const first = await ledger.listFlows({ limit: 3 });
    expect(first.flows.map((f) => f.flowId)).toEqual([id(104), id(103), id(102)]);
    expect(first.continuationToken).toBeDefined();
    const second = await ledger.listFlows({
      limit: 3,
      ...(first.continuationToken === undefined ? {} : { continuationToken: first.continuationToken }),
    });
    expect(second.flows.map((f) => f.flowId)).toEqual([id(101), id(100)]);
    expect(second.continuationToken).toBeUndefined();
  });

  it('loses no branch-head update under concurrent pushes', async () => {
    const ledger = new BlobFlowLedger(await freshContainer('ledger'));
    const heads: BranchHead[] = Array.from({ length: 25 }, (_, n) => ({
      branch: 'main',
      commit: n.toString(16).padStart(40, '0'),
      pushedAt: new Date(Date.UTC(2026, 10, 28, 10, 0, n)).toISOString(),
      receivedAt: new Date(Date.UTC(2026, 10, 28, 10, 0, n)).toISOString(),
      delivery: { source: 'github', id: `push-${n}` },
    }));
    await Promise.all(
      [...heads]
        .reverse()
        .map((head) => ledger.updateBranchHead('main', (current) => nextBranchHead(current, head))),
    );
    expect((await ledger.getBranchHead('main'))?.commit).toBe(heads[24]?.commit);
  });

  it('tracks flows waiting for a model until they move on', async () => {
    const ledger = new BlobFlowLedger(await freshContainer('ledger'));
    const waiting: FlowRecord = { ...flow(id(7), '2026-11-28T10:00:00.000Z'), status: 'waiting-for-model' };
    const created = await ledger.createFlow(waiting);
    if (created === 'exists') throw new Error('unexpected');
    expect((await ledger.listWaitingFlows()).map((f) => f.flowId)).toEqual([id(7)]);
    await ledger.replaceFlow(
      transition(created.value, 'skipped', { source: 'system', id: 's' }, '2026-11-28T10:01:00.000Z'),
      created.etag,
    );
    expect(await ledger.listWaitingFlows()).toEqual([]);
  });
});

describe('races on the ledger', () => {
  it('promotes the newest of 25 model versions uploaded at once, whatever the order of the writes', async () => {
    const ledger = new BlobFlowLedger(await freshContainer('ledger'));
    const versions = Array.from({ length: 25 }, (_, n) => `1.${n}.0`);
    await Promise.all(
      [...versions].reverse().map((version) =>
        ledger.updateCurrentModel('fraud', (current) => {
          const candidate = {
            model: { name: 'fraud', version, uri: `https://x/${version}`, sha256: 'a'.repeat(64) },
            uploadedAt: '2026-11-28T10:00:00.000Z',
            promotedAt: '2026-11-28T10:00:00.000Z',
            delivery: { source: 'eventgrid', id: version },
          } as const;
          return nextCurrentModel(current, candidate);
        }),
      ),
    );
    expect((await ledger.getCurrentModel('fraud'))?.model.version).toBe('1.24.0');
  });

  it('accepts a push and a model upload of the same (model, commit) at the same instant as one flow', async () => {
    const ledger = new BlobFlowLedger(await freshContainer('ledger'));
    const engine = new FlowEngine({
      ledger,
      devops: unreachableDevOps,
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      buildPipelineId: 1,
    });
    const model = { name: 'fraud', version: '2.0.0', uri: 'https://x/model.json', sha256: 'b'.repeat(64) };
    const commit = 'd'.repeat(40);
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        engine.acceptBuild({
          model,
          commit,
          branch: 'main',
          trigger: n % 2 === 0 ? 'push' : 'model',
          delivery:
            n % 2 === 0 ? { source: 'github', id: `push-${n}` } : { source: 'eventgrid', id: `event-${n}` },
        }),
      ),
    );
    expect(new Set(outcomes.map((outcome) => outcome.flow.flowId)).size).toBe(1);
    expect(outcomes.filter((outcome) => outcome.enqueue)).toHaveLength(1);
    const flow = (await ledger.getFlow(outcomes[0]?.flow.flowId ?? ''))?.value;
    expect(flow?.triggers).toHaveLength(20);
  });
});

/** The accepting side never calls Azure DevOps: any call fails the test. */
const unreachableDevOps: AzureDevOps = {
  runBuildPipeline: () => Promise.reject(new Error('unexpected Azure DevOps call')),
  findRuns: () => Promise.reject(new Error('unexpected Azure DevOps call')),
  findClassicReleases: () => Promise.reject(new Error('unexpected Azure DevOps call')),
  getBuild: () => Promise.reject(new Error('unexpected Azure DevOps call')),
  runReleasePipeline: () => Promise.reject(new Error('unexpected Azure DevOps call')),
  createClassicRelease: () => Promise.reject(new Error('unexpected Azure DevOps call')),
};
