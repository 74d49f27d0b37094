import type { FlowRecord } from '../core/flow.js';
import type { Pointers } from '../core/pointers.js';
import type { CreatedFlow, FlowLedger, FlowPage, Versioned } from '../ports/flowLedger.js';

/**
 * The flow ledger in memory, with the same conditional-write contract as the blob ledger
 * (test/ledger/contract.ts runs against both): for use-case tests that need no storage, and
 * for trying things out. Records are copied in and out, as storage would.
 */
export class InMemoryFlowLedger implements FlowLedger {
  private readonly flows = new Map<string, Versioned<FlowRecord>>();
  private pointers: Versioned<Pointers> | undefined;
  private version = 0;

  getFlow(flowId: string): Promise<Versioned<FlowRecord> | undefined> {
    return Promise.resolve(copy(this.flows.get(flowId)));
  }

  createFlow(flow: FlowRecord): Promise<CreatedFlow> {
    const existing = this.flows.get(flow.flowId);
    if (existing !== undefined) return Promise.resolve({ created: false, flow: clone(existing) });
    const stored = this.store(flow);
    this.flows.set(flow.flowId, stored);
    return Promise.resolve({ created: true, flow: clone(stored) });
  }

  replaceFlow(flow: FlowRecord, etag: string): Promise<Versioned<FlowRecord> | 'conflict'> {
    if (this.flows.get(flow.flowId)?.etag !== etag) return Promise.resolve('conflict');
    const stored = this.store(flow);
    this.flows.set(flow.flowId, stored);
    return Promise.resolve(clone(stored));
  }

  listFlows(options: { readonly limit: number; readonly continuationToken?: string }): Promise<FlowPage> {
    const start = options.continuationToken === undefined ? 0 : Number(options.continuationToken);
    const newestFirst = [...this.flows.values()]
      .map((entry) => entry.value)
      .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || a.flowId.localeCompare(b.flowId));
    const end = start + options.limit;
    return Promise.resolve({
      flows: structuredClone(newestFirst.slice(start, end)),
      ...(end < newestFirst.length ? { continuationToken: String(end) } : {}),
    });
  }

  readPointers(): Promise<Versioned<Pointers> | undefined> {
    return Promise.resolve(copy(this.pointers));
  }

  writePointers(pointers: Pointers, etag: string | undefined): Promise<Versioned<Pointers> | 'conflict'> {
    if (this.pointers?.etag !== etag) return Promise.resolve('conflict');
    this.pointers = this.store(pointers);
    return Promise.resolve(clone(this.pointers));
  }

  private store<T>(value: T): Versioned<T> {
    this.version += 1;
    return { value: structuredClone(value), etag: `"${this.version}"` };
  }
}

function clone<T>(entry: Versioned<T>): Versioned<T> {
  return { value: structuredClone(entry.value), etag: entry.etag };
}

function copy<T>(entry: Versioned<T> | undefined): Versioned<T> | undefined {
  return entry === undefined ? undefined : clone(entry);
}
