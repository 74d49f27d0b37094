/**
 * The flow record: one model version joined with one commit, and everything that
 * happened to it. Semantics: ../shared/flow-semantics.md (identity, pointers, joins, states).
 */

export type FlowStatus =
  | 'waiting-for-model'
  | 'build-queued'
  | 'build-started'
  | 'build-succeeded'
  | 'build-failed'
  | 'build-canceled'
  | 'releasing'
  | 'released'
  | 'superseded'
  | 'skipped'
  | 'failed';

export type TriggerKind = 'push' | 'model' | 'manual' | 'waiting';

export interface ModelRef {
  readonly name: string;
  readonly version: string;
  readonly uri: string;
  readonly sha256: string;
}

export interface DeliveryRef {
  readonly source: 'github' | 'eventgrid' | 'servicehook' | 'operator' | 'system';
  readonly id: string;
}

export interface FlowTrigger {
  readonly kind: TriggerKind;
  readonly delivery: DeliveryRef;
  readonly at: string;
}

export interface FlowTransition {
  readonly status: FlowStatus;
  readonly at: string;
  readonly delivery: DeliveryRef;
  readonly reason?: string;
}

export interface BuildRef {
  readonly id: number;
  readonly url: string;
  readonly result?: string;
  readonly buildNumber?: string;
  readonly queuedAt?: string;
}

export interface ReleaseRef {
  readonly mode: 'pipeline' | 'classic';
  readonly id: number;
  readonly url: string;
}

export interface FlowError {
  readonly code: string;
  readonly message: string;
  readonly at: string;
}

export interface FlowRecord {
  readonly schemaVersion: 1;
  readonly flowId: string;
  readonly status: FlowStatus;
  /** `undefined` only while the flow waits for the first promoted model. */
  readonly model?: ModelRef;
  readonly modelName: string;
  /** `undefined` when a model upload ran on a branch whose head commit was never seen yet. */
  readonly commit?: string;
  readonly branch: string;
  readonly trigger: TriggerKind;
  readonly triggers: readonly FlowTrigger[];
  readonly build?: BuildRef;
  readonly release?: ReleaseRef;
  readonly reason?: string;
  readonly lastError?: FlowError;
  readonly attempts: number;
  /** While set and in the future, one worker (`claimedBy`, a queue message id) owns the pending Azure DevOps call. */
  readonly claimedUntil?: string;
  readonly claimedBy?: string;
  /** When a request to start this flow's build was first sent: later attempts reconcile first. */
  readonly dispatchedAt?: string;
  /** The same for its release. */
  readonly releaseDispatchedAt?: string;
  readonly history: readonly FlowTransition[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A new state for a flow, recorded with when and why. */
export function transition(
  flow: FlowRecord,
  status: FlowStatus,
  delivery: DeliveryRef,
  at: string,
  changes: Partial<
    Omit<FlowRecord, 'schemaVersion' | 'flowId' | 'history' | 'createdAt' | 'updatedAt' | 'status'>
  > = {},
): FlowRecord {
  const reason = changes.reason;
  const entry: FlowTransition =
    reason === undefined ? { status, at, delivery } : { status, at, delivery, reason };
  // A claim only covers the pending build call: any transition ends it unless renewed.
  const { claimedUntil: _endedClaim, claimedBy: _endedOwner, ...rest } = flow;
  return { ...rest, ...changes, status, updatedAt: at, history: [...flow.history, entry] };
}

/** Adds a delivery to the flow's triggers unless it is already there (redeliveries). */
export function withTrigger(flow: FlowRecord, trigger: FlowTrigger): FlowRecord {
  const known = flow.triggers.some(
    (existing) =>
      existing.delivery.source === trigger.delivery.source && existing.delivery.id === trigger.delivery.id,
  );
  return known ? flow : { ...flow, triggers: [...flow.triggers, trigger] };
}

const FLOW_STATUSES: ReadonlySet<string> = new Set<FlowStatus>([
  'waiting-for-model',
  'build-queued',
  'build-started',
  'build-succeeded',
  'build-failed',
  'build-canceled',
  'releasing',
  'released',
  'superseded',
  'skipped',
  'failed',
]);

export function isFlowStatus(value: unknown): value is FlowStatus {
  return typeof value === 'string' && FLOW_STATUSES.has(value);
}

/** Checks a record read back from the ledger before it is trusted as a FlowRecord. */
export function isFlowRecord(value: unknown): value is FlowRecord {
  if (typeof value !== 'object' || value === null) return false;
  const record: Partial<Record<keyof FlowRecord, unknown>> = value;
  return (
    record.schemaVersion === 1 &&
    typeof record.flowId === 'string' &&
    isFlowStatus(record.status) &&
    typeof record.modelName === 'string' &&
    typeof record.branch === 'string' &&
    typeof record.attempts === 'number' &&
    Array.isArray(record.triggers) &&
    Array.isArray(record.history) &&
    typeof record.createdAt === 'string' &&
    typeof record.updatedAt === 'string' &&
    (record.commit === undefined || typeof record.commit === 'string') &&
    (record.model === undefined || isModelRef(record.model))
  );
}

export function isModelRef(value: unknown): value is ModelRef {
  if (typeof value !== 'object' || value === null) return false;
  const model: Partial<Record<keyof ModelRef, unknown>> = value;
  return (
    typeof model.name === 'string' &&
    typeof model.version === 'string' &&
    typeof model.uri === 'string' &&
    typeof model.sha256 === 'string'
  );
}

/** Whether a worker holds the flow's pending Azure DevOps call right now. */
export function isClaimed(flow: FlowRecord, nowMs: number): boolean {
  return flow.claimedUntil !== undefined && Date.parse(flow.claimedUntil) > nowMs;
}

/**
 * A queued flow with no sign of life for `staleMs` — its queue message was never written, or
 * was lost — must be queued again. A duplicate message is harmless: the worker claims first.
 */
export function isStalled(flow: FlowRecord, nowMs: number, staleMs: number): boolean {
  return (
    flow.status === 'build-queued' &&
    flow.build === undefined &&
    !isClaimed(flow, nowMs) &&
    Date.parse(flow.updatedAt) + staleMs <= nowMs
  );
}
