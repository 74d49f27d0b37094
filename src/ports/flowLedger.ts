import type { FlowRecord } from '../core/flow.js';
import type { Pointers } from '../core/pointers.js';

export interface Versioned<T> {
  readonly value: T;
  readonly etag: string;
}

export interface CreatedFlow {
  readonly created: boolean;
  readonly flow: Versioned<FlowRecord>;
}

export interface FlowPage {
  readonly flows: readonly FlowRecord[];
  readonly continuationToken?: string;
}

/**
 * Durable record of every flow and of the pointers that join pushes with models.
 * Every write carries a precondition: create-if-absent or replace-if-unchanged. The
 * contract (test/ledger/contract.ts) holds for every implementation.
 */
export interface FlowLedger {
  getFlow(flowId: string): Promise<Versioned<FlowRecord> | undefined>;
  /** Creates the flow if its id is free; else answers the flow another delivery created first. */
  createFlow(flow: FlowRecord): Promise<CreatedFlow>;
  /** Replaces the flow if nobody changed it since `etag` was read: `'conflict'` otherwise. */
  replaceFlow(flow: FlowRecord, etag: string): Promise<Versioned<FlowRecord> | 'conflict'>;
  /** Newest first (by creation). */
  listFlows(options: { readonly limit: number; readonly continuationToken?: string }): Promise<FlowPage>;

  /** The pointers, with the etag to replace them by; `undefined` before the first write. */
  readPointers(): Promise<Versioned<Pointers> | undefined>;
  /** Writes the pointers if unchanged since `etag` (`undefined`: if none exist yet); `'conflict'` otherwise. */
  writePointers(pointers: Pointers, etag: string | undefined): Promise<Versioned<Pointers> | 'conflict'>;
}
