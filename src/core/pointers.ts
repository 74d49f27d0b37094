/**
 * The pointers that join pushes with models (flow-semantics.md, Pointers), kept together in
 * one record so that accepting a push reads and writes them once: the newest pushed commit of
 * each release branch, the current model, the pushes waiting for a first model, recent GitHub
 * deliveries, and the newest build sent to release.
 */
import { flowIdOf, isFlowId, waitingFlowIdOf } from './flowId.js';
import { isModelRef, type DeliveryRef, type ModelRef } from './flow.js';
import { isObject } from './guards.js';
import { compareModelVersions } from './modelVersions.js';

/** The newest pushed commit of a release branch, by push order. */
export interface BranchHead {
  readonly commit: string;
  /** When GitHub says the push happened (`repository.pushed_at`), ISO 8601. */
  readonly pushedAt: string;
  readonly receivedAt: string;
  readonly delivery: DeliveryRef;
}

/** The newest promoted version of the app's model. */
export interface CurrentModel {
  readonly model: ModelRef;
  readonly uploadedAt: string;
  readonly promotedAt: string;
  readonly delivery: DeliveryRef;
}

/** The newest build of the build pipeline that was sent to release: the ordering guard for releases. */
export interface LastRelease {
  readonly buildId: number;
  /** When that build was queued: a build queued earlier is never released after it. */
  readonly queueTime: string;
  readonly flowId: string;
  readonly at: string;
}

/** A push seen before any model was promoted: built with the first one, if still its branch's head. */
export interface WaitingPush {
  readonly flowId: string;
  readonly branch: string;
  readonly commit: string;
}

export interface Pointers {
  readonly branches: Readonly<Record<string, BranchHead>>;
  readonly models: Readonly<Record<string, CurrentModel>>;
  readonly waiting: readonly WaitingPush[];
  /** The flow each recent GitHub delivery became, newest last: a redelivery is that flow again. */
  readonly deliveries: readonly { readonly id: string; readonly flowId: string }[];
  /**
   * Flows of a model built on a branch ref, under the commit Azure DevOps chose: a later push
   * of that commit with that model is the same flow (newest last).
   */
  readonly aliases: readonly { readonly flowId: string; readonly aliasOf: string }[];
  readonly lastRelease?: LastRelease;
}

export const EMPTY_POINTERS: Pointers = {
  branches: {},
  models: {},
  waiting: [],
  deliveries: [],
  aliases: [],
};

/** How many recent deliveries and aliases are remembered. Older redeliveries are older than the branch head anyway. */
const REMEMBERED = 200;

/** What a pointer decision answers: the pointers to write (none: leave them) and what it decided. */
export interface PointerDecision<T> {
  readonly pointers?: Pointers;
  readonly result: T;
}

export interface PushFacts {
  readonly branch: string;
  readonly commit: string;
  readonly pushedAt: string;
  readonly receivedAt: string;
  readonly delivery: DeliveryRef;
}

export type PushJoin =
  /** The delivery was seen before: it is the flow it became then. */
  | { readonly kind: 'known-delivery'; readonly flowId: string }
  /** The branch was pushed later: building this commit would build old code. */
  | { readonly kind: 'older-than-branch-head'; readonly head: BranchHead }
  | { readonly kind: 'wait'; readonly flowId: string }
  | { readonly kind: 'build'; readonly flowId: string; readonly model: ModelRef };

/**
 * A push to a release branch: moves the branch head forward (push order; ties go to the later
 * delivery) and joins the commit with the current model, or makes it wait for the first one.
 * A push older than the head is refused: a late delivery, or a captured one replayed.
 */
export function joinPush(
  pointers: Pointers,
  push: PushFacts,
  modelName: string,
  options: { readonly rejoin?: boolean } = {},
): PointerDecision<PushJoin> {
  const known = pointers.deliveries.find((delivery) => delivery.id === push.delivery.id);
  // `rejoin`: the delivery was recorded but its flow never written (the first attempt failed in between).
  if (known !== undefined && options.rejoin !== true)
    return { result: { kind: 'known-delivery', flowId: known.flowId } };
  const head = pointers.branches[push.branch];
  const candidate: BranchHead = {
    commit: push.commit,
    pushedAt: push.pushedAt,
    receivedAt: push.receivedAt,
    delivery: push.delivery,
  };
  // Pushed strictly earlier than the head: old code. Within the same second (GitHub's resolution)
  // both pushes are built, and the head goes to the later delivery.
  if (
    head !== undefined &&
    head.commit !== push.commit &&
    Date.parse(head.pushedAt) > Date.parse(push.pushedAt)
  )
    return { result: { kind: 'older-than-branch-head', head } };
  const movesHead = head === undefined || (head.commit !== push.commit && isLater(candidate, head));
  const branches = movesHead ? { ...pointers.branches, [push.branch]: candidate } : pointers.branches;
  const current = pointers.models[modelName];
  if (current === undefined) {
    const flowId = waitingFlowIdOf(modelName, push.commit);
    const waiting = pointers.waiting.some((entry) => entry.flowId === flowId)
      ? pointers.waiting
      : [...pointers.waiting, { flowId, branch: push.branch, commit: push.commit }];
    return {
      pointers: { ...pointers, branches, waiting, deliveries: remember(pointers.deliveries, push, flowId) },
      result: { kind: 'wait', flowId },
    };
  }
  const pairId = flowIdOf(modelName, current.model.version, push.commit);
  const flowId = pointers.aliases.find((alias) => alias.flowId === pairId)?.aliasOf ?? pairId;
  return {
    pointers: { ...pointers, branches, deliveries: remember(pointers.deliveries, push, flowId) },
    result: { kind: 'build', flowId, model: current.model },
  };
}

export type ModelPromotion =
  | { readonly kind: 'older-than-current'; readonly current: CurrentModel; readonly head?: BranchHead }
  | {
      readonly kind: 'promoted';
      /** The newest pushed commit of the branch new models are built on, if any push was seen. */
      readonly head?: BranchHead;
      /** Pushes that waited for a first model: each is built if still its branch's head. */
      readonly waiting: readonly (WaitingPush & { readonly isHead: boolean })[];
    };

/**
 * A complete model version was uploaded: it becomes current if newer (semver order, else
 * upload time). The same version again — a redelivery, a re-uploaded manifest — is promoted
 * again without changing the pointer, so its build is still accepted (idempotently).
 */
export function promoteModel(
  pointers: Pointers,
  candidate: CurrentModel,
  buildBranch: string,
): PointerDecision<ModelPromotion> {
  const current = pointers.models[candidate.model.name];
  const head = pointers.branches[buildBranch];
  const withHead = head === undefined ? {} : { head };
  if (current !== undefined && current.model.version !== candidate.model.version) {
    const order = compareModelVersions(
      { version: candidate.model.version, uploadedAt: candidate.uploadedAt },
      { version: current.model.version, uploadedAt: current.uploadedAt },
    );
    if (order <= 0) return { result: { kind: 'older-than-current', current, ...withHead } };
  }
  const waiting = pointers.waiting.map((entry) => ({
    ...entry,
    isHead: pointers.branches[entry.branch]?.commit === entry.commit,
  }));
  const unchanged = current?.model.version === candidate.model.version && waiting.length === 0;
  return {
    ...(unchanged
      ? {}
      : {
          pointers: {
            ...pointers,
            models:
              current?.model.version === candidate.model.version
                ? pointers.models
                : { ...pointers.models, [candidate.model.name]: candidate },
            waiting: [],
          },
        }),
    result: { kind: 'promoted', ...withHead, waiting },
  };
}

/** Remembers that the flow built on a branch ref built `commit`: a push of it with that model is that flow. */
export function aliasBranchBuild(
  pointers: Pointers,
  built: { readonly flowId: string; readonly model: ModelRef; readonly commit: string },
): PointerDecision<undefined> {
  const flowId = flowIdOf(built.model.name, built.model.version, built.commit);
  if (pointers.aliases.some((alias) => alias.flowId === flowId)) return { result: undefined };
  const aliases = [...pointers.aliases, { flowId, aliasOf: built.flowId }].slice(-REMEMBERED);
  return { pointers: { ...pointers, aliases }, result: undefined };
}

export type ReleaseOrder = 'same' | 'newer' | 'older';

/**
 * Whether a build may be released, given the last one sent to release: only a build queued
 * at or after it (or the same build again, for a retried release) may go.
 */
export function releaseOrder(
  current: LastRelease | undefined,
  buildId: number,
  queueTime: string,
): ReleaseOrder {
  if (current === undefined) return 'newer';
  if (current.buildId === buildId) return 'same';
  const order = Date.parse(queueTime) - Date.parse(current.queueTime);
  if (order !== 0) return order > 0 ? 'newer' : 'older';
  return buildId > current.buildId ? 'newer' : 'older';
}

/** Sends a build to release if it is not older than the last one sent: answers the last release now recorded. */
export function sendToRelease(pointers: Pointers, candidate: LastRelease): PointerDecision<LastRelease> {
  if (releaseOrder(pointers.lastRelease, candidate.buildId, candidate.queueTime) !== 'newer') {
    return { result: pointers.lastRelease ?? candidate };
  }
  return { pointers: { ...pointers, lastRelease: candidate }, result: candidate };
}

function isLater(candidate: BranchHead, current: BranchHead): boolean {
  const order =
    Date.parse(candidate.pushedAt) - Date.parse(current.pushedAt) ||
    Date.parse(candidate.receivedAt) - Date.parse(current.receivedAt);
  return order > 0;
}

function remember(
  deliveries: Pointers['deliveries'],
  push: PushFacts,
  flowId: string,
): Pointers['deliveries'] {
  const others = deliveries.filter((delivery) => delivery.id !== push.delivery.id);
  return [...others, { id: push.delivery.id, flowId }].slice(-REMEMBERED);
}

/** Checks pointers read back from the ledger before they are trusted. */
export function isPointers(value: unknown): value is Pointers {
  if (!isObject(value)) return false;
  const { branches, models, waiting, deliveries, aliases, lastRelease } = value;
  return (
    isRecordOf(branches, isBranchHead) &&
    isRecordOf(models, isCurrentModel) &&
    Array.isArray(waiting) &&
    waiting.every(isWaitingPush) &&
    Array.isArray(deliveries) &&
    deliveries.every(
      (entry) => isObject(entry) && typeof entry.id === 'string' && isFlowIdAt(entry.flowId),
    ) &&
    Array.isArray(aliases) &&
    aliases.every((entry) => isObject(entry) && isFlowIdAt(entry.flowId) && isFlowIdAt(entry.aliasOf)) &&
    (lastRelease === undefined || isLastRelease(lastRelease))
  );
}

function isRecordOf<T>(
  value: unknown,
  guard: (item: unknown) => item is T,
): value is Readonly<Record<string, T>> {
  return isObject(value) && Object.values(value).every(guard);
}

function isFlowIdAt(value: unknown): value is string {
  return typeof value === 'string' && isFlowId(value);
}

function isDeliveryRef(value: unknown): value is DeliveryRef {
  return isObject(value) && typeof value.source === 'string' && typeof value.id === 'string';
}

function isBranchHead(value: unknown): value is BranchHead {
  return (
    isObject(value) &&
    typeof value.commit === 'string' &&
    typeof value.pushedAt === 'string' &&
    typeof value.receivedAt === 'string' &&
    isDeliveryRef(value.delivery)
  );
}

function isCurrentModel(value: unknown): value is CurrentModel {
  return (
    isObject(value) &&
    isModelRef(value.model) &&
    typeof value.uploadedAt === 'string' &&
    typeof value.promotedAt === 'string' &&
    isDeliveryRef(value.delivery)
  );
}

function isWaitingPush(value: unknown): value is WaitingPush {
  return (
    isObject(value) &&
    isFlowIdAt(value.flowId) &&
    typeof value.branch === 'string' &&
    typeof value.commit === 'string'
  );
}

function isLastRelease(value: unknown): value is LastRelease {
  return (
    isObject(value) &&
    typeof value.buildId === 'number' &&
    typeof value.queueTime === 'string' &&
    isFlowIdAt(value.flowId) &&
    typeof value.at === 'string'
  );
}
