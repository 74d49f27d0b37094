/**
 * The FlowLedger contract: what every implementation (blob, in memory) must do, and the
 * races the use cases rely on it for. Run by blobFlowLedger.test.ts and inMemoryFlowLedger.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { newFlow, transition, type FlowRecord } from '../../src/core/flow.js';
import { joinPush, promoteModel, type Pointers } from '../../src/core/pointers.js';
import type { FlowLedger } from '../../src/ports/flowLedger.js';
import { acceptBuild } from '../../src/usecases/acceptBuild.js';
import { updatePointers } from '../../src/usecases/ledgerWrites.js';

export const flowId = (n: number): string => n.toString(16).padStart(20, '0');

export function queuedFlow(id: string, createdAt: string): FlowRecord {
  return newFlow({
    flowId: id,
    modelName: 'fraud',
    commit: 'c'.repeat(40),
    branch: 'main',
    trigger: 'push',
    delivery: { source: 'github', id: `d-${id}` },
    at: createdAt,
    state: {
      status: 'build-queued',
      model: {
        name: 'fraud',
        version: '1.0.0',
        uri: 'https://x/models/fraud/1.0.0/model.json',
        sha256: 'a'.repeat(64),
      },
    },
  });
}

const system = { source: 'system', id: 'x' } as const;

export function ledgerContract(name: string, newLedger: () => Promise<FlowLedger>): void {
  describe(`${name}: the FlowLedger contract`, () => {
    it('creates a flow once: 20 concurrent creates of one id, one creator, all answered the same flow', async () => {
      const ledger = await newLedger();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, n) =>
          ledger.createFlow(queuedFlow(flowId(1), new Date(Date.UTC(2026, 10, 28, 10, 0, n)).toISOString())),
        ),
      );
      expect(results.filter((result) => result.created)).toHaveLength(1);
      const winner = results.find((result) => result.created)?.flow.value.createdAt;
      expect(new Set(results.map((result) => result.flow.value.createdAt))).toEqual(new Set([winner]));
      // Listed once, whatever the losers wrote on the way.
      expect((await ledger.listFlows({ limit: 50 })).flows.map((flow) => flow.flowId)).toEqual([flowId(1)]);
    });

    it('refuses a replace with a stale etag', async () => {
      const ledger = await newLedger();
      const { flow: created } = await ledger.createFlow(queuedFlow(flowId(2), '2026-11-28T10:00:00.000Z'));
      const build = { id: 1, url: 'https://x/1' };
      const first = await ledger.replaceFlow(
        transition(created.value, { status: 'build-started', build }, system, '2026-11-28T10:00:01.000Z'),
        created.etag,
      );
      expect(first).not.toBe('conflict');
      const second = await ledger.replaceFlow(
        transition(created.value, { status: 'failed' }, system, '2026-11-28T10:00:02.000Z'),
        created.etag,
      );
      expect(second).toBe('conflict');
      expect((await ledger.getFlow(flowId(2)))?.value.status).toBe('build-started');
    });

    it('lists flows newest first, page by page', async () => {
      const ledger = await newLedger();
      for (let n = 0; n < 5; n++)
        await ledger.createFlow(queuedFlow(flowId(100 + n), `2026-11-28T10:00:0${n}.000Z`));
      const first = await ledger.listFlows({ limit: 3 });
      expect(first.flows.map((flow) => flow.flowId)).toEqual([flowId(104), flowId(103), flowId(102)]);
      expect(first.continuationToken).toBeDefined();
      const second = await ledger.listFlows({
        limit: 3,
        ...(first.continuationToken === undefined ? {} : { continuationToken: first.continuationToken }),
      });
      expect(second.flows.map((flow) => flow.flowId)).toEqual([flowId(101), flowId(100)]);
      expect(second.continuationToken).toBeUndefined();
    });

    it('writes the pointers only over the version read: a first write once, then If-Match', async () => {
      const ledger = await newLedger();
      expect(await ledger.readPointers()).toBeUndefined();
      const empty: Pointers = { branches: {}, models: {}, waiting: [], deliveries: [], aliases: [] };
      const [a, b] = await Promise.all([
        ledger.writePointers(empty, undefined),
        ledger.writePointers(empty, undefined),
      ]);
      expect([a, b].filter((written) => written === 'conflict')).toHaveLength(1);
      const stored = await ledger.readPointers();
      if (stored === undefined) throw new Error('pointers not written');
      expect(await ledger.writePointers(empty, stored.etag)).not.toBe('conflict');
      expect(await ledger.writePointers(empty, stored.etag)).toBe('conflict');
    });

    it('loses no branch-head update under 25 concurrent pushes, whatever the order', async () => {
      const ledger = await newLedger();
      const pushes = Array.from({ length: 25 }, (_, n) => ({
        branch: 'main',
        commit: n.toString(16).padStart(40, '0'),
        pushedAt: new Date(Date.UTC(2026, 10, 28, 10, 0, n)).toISOString(),
        receivedAt: new Date(Date.UTC(2026, 10, 28, 10, 0, n)).toISOString(),
        delivery: { source: 'github', id: `push-${n}` } as const,
      }));
      await Promise.all(
        [...pushes]
          .reverse()
          .map((push) => updatePointers(ledger, (pointers) => joinPush(pointers, push, 'fraud'))),
      );
      const pointers = (await ledger.readPointers())?.value;
      expect(pointers?.branches.main?.commit).toBe(pushes[24]?.commit);
    });

    it('promotes the newest of 25 model versions uploaded at once, whatever the order of the writes', async () => {
      const ledger = await newLedger();
      const versions = Array.from({ length: 25 }, (_, n) => `1.${n}.0`);
      await Promise.all(
        [...versions].reverse().map((version) =>
          updatePointers(ledger, (pointers) =>
            promoteModel(
              pointers,
              {
                model: { name: 'fraud', version, uri: `https://x/${version}`, sha256: 'a'.repeat(64) },
                uploadedAt: '2026-11-28T10:00:00.000Z',
                promotedAt: '2026-11-28T10:00:00.000Z',
                delivery: { source: 'eventgrid', id: version },
              },
              'main',
            ),
          ),
        ),
      );
      expect((await ledger.readPointers())?.value.models.fraud?.model.version).toBe('1.24.0');
    });

    it('accepts a push and a model upload of the same (model, commit) at the same instant as one flow', async () => {
      const ledger = await newLedger();
      const model = { name: 'fraud', version: '2.0.0', uri: 'https://x/model.json', sha256: 'b'.repeat(64) };
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, n) =>
          acceptBuild(
            { ledger, clock: () => new Date(), staleMs: 60_000 },
            {
              flowId: flowId(3),
              model,
              commit: 'd'.repeat(40),
              branch: 'main',
              trigger: n % 2 === 0 ? 'push' : 'model',
              delivery:
                n % 2 === 0
                  ? { source: 'github', id: `push-${n}` }
                  : { source: 'eventgrid', id: `event-${n}` },
            },
          ),
        ),
      );
      expect(outcomes.flatMap((outcome) => outcome.messages)).toHaveLength(1);
      expect((await ledger.getFlow(flowId(3)))?.value.triggers).toHaveLength(20);
    });
  });
}
