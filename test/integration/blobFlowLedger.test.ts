import { describe, expect, it } from 'vitest';
import { BlobFlowLedger } from '../../src/adapters/blobFlowLedger.js';
import { transition, type FlowRecord } from '../../src/core/flow.js';
import { nextBranchHead, type BranchHead } from '../../src/core/pointers.js';
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
