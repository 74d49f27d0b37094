import type { DeliveryRef, FlowRecord } from '../core/flow.js';
import type { BranchHead, CurrentModel, LastRelease } from '../core/pointers.js';

export interface Versioned<T> {
  readonly value: T;
  readonly etag: string;
}

export interface FlowPage {
  readonly flows: readonly FlowRecord[];
  readonly continuationToken?: string;
}

/**
 * Durable record of every flow and of the pointers that join pushes with models.
 * Every write carries a precondition: create-if-absent or replace-if-unchanged.
 */
export interface FlowLedger {
  getFlow(flowId: string): Promise<Versioned<FlowRecord> | undefined>;
  /** Claims the flow id: `'exists'` when another delivery created it first. */
  createFlow(flow: FlowRecord): Promise<Versioned<FlowRecord> | 'exists'>;
  /** Replaces the flow if nobody changed it since `etag` was read: `'conflict'` otherwise. */
  replaceFlow(flow: FlowRecord, etag: string): Promise<Versioned<FlowRecord> | 'conflict'>;
  listFlows(options: { readonly limit: number; readonly continuationToken?: string }): Promise<FlowPage>;
  /** Every flow that is `waiting-for-model` (pushes seen before any model was promoted). */
  listWaitingFlows(): Promise<readonly FlowRecord[]>;

  /** The flow a delivery (e.g. a GitHub delivery id) was turned into, if it was seen before. */
  getDelivery(source: DeliveryRef['source'], deliveryId: string): Promise<string | undefined>;
  /** Remembers which flow a delivery became; the first record wins. */
  recordDelivery(source: DeliveryRef['source'], deliveryId: string, flowId: string): Promise<void>;

  getBranchHead(branch: string): Promise<BranchHead | undefined>;
  /**
   * Compare-and-swap update of a branch head: `decide` sees the current value and answers
   * the next one, or `undefined` to leave it. Retried on conflict, so no update is lost.
   */
  updateBranchHead(
    branch: string,
    decide: (current: BranchHead | undefined) => BranchHead | undefined,
  ): Promise<BranchHead | undefined>;

  getCurrentModel(modelName: string): Promise<CurrentModel | undefined>;
  updateCurrentModel(
    modelName: string,
    decide: (current: CurrentModel | undefined) => CurrentModel | undefined,
  ): Promise<CurrentModel | undefined>;

  getLastRelease(): Promise<LastRelease | undefined>;
  updateLastRelease(
    decide: (current: LastRelease | undefined) => LastRelease | undefined,
  ): Promise<LastRelease | undefined>;
}
