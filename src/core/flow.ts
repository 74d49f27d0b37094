/**
 * The flow record: one model version joined with one commit, and everything that
 * happened to it. Semantics: ../shared/flow-semantics.md (identity, pointers, joins, states).
 *
 * A flow's type says by its status which fields exist: a queued flow has the model to build
 * with, a started one its build, a releasing one its release. Every change goes through the
 * functions below, so no record is ever written that breaks those rules.
 */
import { isFlowId } from './flowId.js';
import { isObject } from './guards.js';

export type FlowStatus = FlowRecord['status'];

/** What asked for the build: the build pipeline's `trigger` parameter takes these values. */
export type TriggerKind = 'push' | 'model' | 'manual';

export interface ModelRef {
  readonly name: string;
  readonly version: string;
  readonly uri: string;
  readonly sha256: string;
}

export type DeliverySource = 'github' | 'eventgrid' | 'servicehook' | 'operator' | 'system';

/** The delivery that caused a change: its idempotency key (see flow-semantics.md, Identity). */
export interface DeliveryRef {
  readonly source: DeliverySource;
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

interface FlowBase {
  readonly schemaVersion: 1;
  readonly flowId: string;
  readonly modelName: string;
  /** `undefined` when a model upload ran on a branch whose head commit was never seen yet. */
  readonly commit?: string;
  readonly branch: string;
  readonly trigger: TriggerKind;
  readonly triggers: readonly FlowTrigger[];
  /** Why the flow is in its status, when the last transition said. */
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
  /**
   * With flow events on (FLOW_EVENTS_TOPIC_ENDPOINT): how many `history` entries were published
   * as events so far; the rest are pending (core/flowEvents.ts). Absent: the flow was created
   * while events were off, and none of its transitions are published.
   */
  readonly eventsPublished?: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Which fields a flow has, by status. */
export type FlowState =
  | {
      readonly status: 'waiting-for-model';
      readonly model?: undefined;
      readonly build?: undefined;
      readonly release?: undefined;
    }
  | {
      readonly status: 'build-queued';
      readonly model: ModelRef;
      readonly build?: undefined;
      readonly release?: undefined;
    }
  | {
      readonly status: 'build-started' | 'build-succeeded' | 'build-failed' | 'build-canceled' | 'superseded';
      /** Absent only for a build started by hand without the app's parameters. */
      readonly model?: ModelRef;
      readonly build: BuildRef;
      readonly release?: undefined;
    }
  | {
      readonly status: 'releasing' | 'released';
      readonly model?: ModelRef;
      readonly build: BuildRef;
      readonly release: ReleaseRef;
    }
  | {
      readonly status: 'skipped' | 'failed';
      readonly model?: ModelRef;
      readonly build?: BuildRef;
      readonly release?: ReleaseRef;
    };

export type FlowRecord = FlowBase & FlowState;

/** A flow whose build can be started: it has a model and no build yet. */
export type BuildableFlow = FlowRecord & { readonly model: ModelRef; readonly build?: undefined };

export const FLOW_STATUSES = [
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
] as const satisfies readonly FlowStatus[];

export function isFlowStatus(value: unknown): value is FlowStatus {
  return FLOW_STATUSES.some((status) => status === value);
}

/** A new flow, with its first history entry. */
export function newFlow(fields: {
  readonly flowId: string;
  readonly modelName: string;
  readonly commit?: string | undefined;
  readonly branch: string;
  readonly trigger: TriggerKind;
  readonly delivery: DeliveryRef;
  readonly at: string;
  readonly state: FlowState;
  readonly reason?: string | undefined;
}): FlowRecord {
  const { flowId, modelName, commit, branch, trigger, delivery, at, state, reason } = fields;
  return {
    schemaVersion: 1,
    flowId,
    modelName,
    ...(commit === undefined ? {} : { commit }),
    branch,
    trigger,
    triggers: [{ kind: trigger, delivery, at }],
    attempts: 0,
    ...(reason === undefined ? {} : { reason }),
    history: [historyEntry(state.status, delivery, at, reason)],
    createdAt: at,
    updatedAt: at,
    ...state,
  };
}

export interface TransitionNote {
  readonly reason?: string;
  readonly lastError?: FlowError;
  /** The commit Azure DevOps built, for a flow started on a branch ref. */
  readonly commit?: string;
}

/** A new state for a flow, recorded with when and why. Any transition ends a claim. */
export function transition(
  flow: FlowRecord,
  next: FlowState,
  delivery: DeliveryRef,
  at: string,
  note: TransitionNote = {},
): FlowRecord {
  const {
    status: _status,
    model: _model,
    build: _build,
    release: _release,
    reason: _reason,
    claimedUntil: _claimedUntil,
    claimedBy: _claimedBy,
    ...base
  } = flow;
  return {
    ...base,
    ...(base.commit === undefined && note.commit !== undefined ? { commit: note.commit } : {}),
    ...(note.reason === undefined ? {} : { reason: note.reason }),
    ...(note.lastError === undefined ? {} : { lastError: note.lastError }),
    ...next,
    updatedAt: at,
    history: [...flow.history, historyEntry(next.status, delivery, at, note.reason)],
  };
}

/** The state a flow keeps its model in, for transitions that change only the status and build/release. */
export function modelOf(flow: FlowRecord): { readonly model?: ModelRef } {
  return flow.model === undefined ? {} : { model: flow.model };
}

/** The `failed` state of a flow: it keeps what it had (model, build, release) for a replay. */
export function failedState(flow: FlowRecord): FlowState {
  return {
    status: 'failed',
    ...(flow.model === undefined ? {} : { model: flow.model }),
    ...(flow.build === undefined ? {} : { build: flow.build }),
    ...(flow.release === undefined ? {} : { release: flow.release }),
  };
}

/** Adds a delivery to the flow's triggers unless it is already there (redeliveries). */
export function withTrigger(flow: FlowRecord, trigger: FlowTrigger): FlowRecord {
  return hasDelivery(flow, trigger.delivery) ? flow : { ...flow, triggers: [...flow.triggers, trigger] };
}

export function hasDelivery(flow: FlowRecord, delivery: DeliveryRef): boolean {
  return flow.triggers.some(
    (existing) => existing.delivery.source === delivery.source && existing.delivery.id === delivery.id,
  );
}

/** One worker (a queue message) takes the flow's pending Azure DevOps call of `phase`. */
export function withClaim(
  flow: FlowRecord,
  claim: {
    readonly by: string;
    readonly until: string;
    readonly phase: 'build' | 'release';
    readonly at: string;
  },
): FlowRecord {
  const dispatched =
    claim.phase === 'build'
      ? { dispatchedAt: flow.dispatchedAt ?? claim.at }
      : { releaseDispatchedAt: flow.releaseDispatchedAt ?? claim.at };
  return {
    ...flow,
    ...dispatched,
    claimedBy: claim.by,
    claimedUntil: claim.until,
    attempts: flow.attempts + 1,
    updatedAt: claim.at,
  };
}

/** Whether a worker holds the flow's pending Azure DevOps call right now. */
export function isClaimed(flow: FlowRecord, nowMs: number): boolean {
  return flow.claimedUntil !== undefined && Date.parse(flow.claimedUntil) > nowMs;
}

/** A flow whose build may start: queued, or failed before its build existed. */
export function isBuildable(flow: FlowRecord): flow is BuildableFlow {
  return (
    flow.build === undefined &&
    flow.model !== undefined &&
    (flow.status === 'build-queued' || flow.status === 'failed')
  );
}

/**
 * A queued flow with no sign of life for `staleMs` — its queue message was never written, or
 * was lost — must be queued again. A duplicate message is harmless: the worker claims first.
 */
export function isStalled(flow: FlowRecord, nowMs: number, staleMs: number): boolean {
  return (
    flow.status === 'build-queued' && !isClaimed(flow, nowMs) && Date.parse(flow.updatedAt) + staleMs <= nowMs
  );
}

function historyEntry(
  status: FlowStatus,
  delivery: DeliveryRef,
  at: string,
  reason: string | undefined,
): FlowTransition {
  return reason === undefined ? { status, at, delivery } : { status, at, delivery, reason };
}

/** Checks a record read back from the ledger, status rules included, before it is trusted. */
export function isFlowRecord(value: unknown): value is FlowRecord {
  if (!isObject(value)) return false;
  const record: Partial<Record<keyof FlowRecord, unknown>> = value;
  const model = record.model === undefined || isModelRef(record.model);
  const build = record.build === undefined || isBuildRef(record.build);
  const release = record.release === undefined || isReleaseRef(record.release);
  if (!(
    record.schemaVersion === 1 &&
    typeof record.flowId === 'string' &&
    isFlowId(record.flowId) &&
    isFlowStatus(record.status) &&
    typeof record.modelName === 'string' &&
    typeof record.branch === 'string' &&
    typeof record.attempts === 'number' &&
    Array.isArray(record.triggers) &&
    Array.isArray(record.history) &&
    typeof record.createdAt === 'string' &&
    typeof record.updatedAt === 'string' &&
    (record.commit === undefined || typeof record.commit === 'string') &&
    (record.eventsPublished === undefined ||
      (typeof record.eventsPublished === 'number' &&
        Number.isSafeInteger(record.eventsPublished) &&
        record.eventsPublished >= 0)) &&
    model &&
    build &&
    release
  ))
    return false;
  switch (record.status) {
    case 'waiting-for-model':
      return record.model === undefined && record.build === undefined && record.release === undefined;
    case 'build-queued':
      return record.model !== undefined && record.build === undefined && record.release === undefined;
    case 'releasing':
    case 'released':
      return record.build !== undefined && record.release !== undefined;
    case 'skipped':
    case 'failed':
      return true;
    default:
      return record.build !== undefined && record.release === undefined;
  }
}

export function isModelRef(value: unknown): value is ModelRef {
  if (!isObject(value)) return false;
  const model: Partial<Record<keyof ModelRef, unknown>> = value;
  return (
    typeof model.name === 'string' &&
    typeof model.version === 'string' &&
    typeof model.uri === 'string' &&
    typeof model.sha256 === 'string'
  );
}

function isBuildRef(value: unknown): value is BuildRef {
  return isObject(value) && typeof value.id === 'number' && typeof value.url === 'string';
}

function isReleaseRef(value: unknown): value is ReleaseRef {
  return (
    isObject(value) &&
    (value.mode === 'pipeline' || value.mode === 'classic') &&
    typeof value.id === 'number' &&
    typeof value.url === 'string'
  );
}
