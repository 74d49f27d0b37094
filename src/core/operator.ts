/**
 * Decisions an operator takes explicitly (the `ai-app-cicd` CLI), which the automatic rules
 * never take on their own: making an older model version current again, and releasing again
 * the build of an earlier flow. Events keep their rules (`promoteModel` moves forward only,
 * `sendToRelease` never releases a build queued before the last one sent).
 */
import { decideBuildCompleted, modelOfBuild, releaseCandidate } from './buildCompleted.js';
import type { BuildFacts, ReleaseCandidate, ReleaseSettings } from './buildCompleted.js';
import { isClaimed, modelOf, transition } from './flow.js';
import type { DeliveryRef, FlowRecord, ReleaseRef } from './flow.js';
import { promoteModel } from './pointers.js';
import type { CurrentModel, LastRelease, ModelPromotion, PointerDecision, Pointers } from './pointers.js';

export type OperatorAction = 'promote' | 'rollback';

/** Who acted: an account or user name, as it appears in the flow's history. */
const OPERATOR_NAME = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;

export function isSafeOperatorName(value: string): boolean {
  return OPERATOR_NAME.test(value);
}

/**
 * The delivery an operator action is recorded under: who and when, in its id (each action is
 * its own delivery, so a flow's triggers and history show every one).
 */
export function operatorDelivery(action: OperatorAction, by: string, at: string): DeliveryRef {
  return { source: 'operator', id: `${action}:${by}:${at}` };
}

export type OperatorPromotion = Extract<ModelPromotion, { readonly kind: 'promoted' }> & {
  /** The version that was current before, if any. */
  readonly previous?: CurrentModel;
  /** Whether the operator moved the current model back to an older version. */
  readonly backwards: boolean;
};

/**
 * An operator makes a complete model version current: as an upload would when it is newer
 * (waiting pushes included), and also when it is older — the one way the pointer moves back.
 */
export function promoteModelByOperator(
  pointers: Pointers,
  candidate: CurrentModel,
  buildBranch: string,
): PointerDecision<OperatorPromotion> {
  const previous = pointers.models[candidate.model.name];
  const withPrevious = previous === undefined ? {} : { previous };
  const automatic = promoteModel(pointers, candidate, buildBranch);
  if (automatic.result.kind === 'promoted') {
    return {
      ...(automatic.pointers === undefined ? {} : { pointers: automatic.pointers }),
      result: { ...automatic.result, ...withPrevious, backwards: false },
    };
  }
  // Older than the current one: only pushes seen before any model wait, and one is current here.
  const head = automatic.result.head;
  return {
    pointers: { ...pointers, models: { ...pointers.models, [candidate.model.name]: candidate } },
    result: {
      kind: 'promoted',
      ...(head === undefined ? {} : { head }),
      waiting: [],
      ...withPrevious,
      backwards: true,
    },
  };
}

/** The moment a flow was last sent to release (its newest `releasing` transition). */
export function lastReleasedAt(flow: FlowRecord): string | undefined {
  let latest: string | undefined;
  for (const entry of flow.history)
    if (entry.status === 'releasing' && (latest === undefined || Date.parse(entry.at) > Date.parse(latest)))
      latest = entry.at;
  return latest;
}

/**
 * The flow to roll back to: of the flows whose release succeeded, other than the current one,
 * the one sent to release most recently. Rolling back twice goes back to where it started.
 */
export function previousReleasedFlow(
  flows: readonly FlowRecord[],
  currentFlowId: string | undefined,
): FlowRecord | undefined {
  let best: { readonly flow: FlowRecord; readonly at: number } | undefined;
  for (const flow of flows) {
    if (flow.flowId === currentFlowId || flow.status !== 'released') continue;
    const at = Date.parse(lastReleasedAt(flow) ?? flow.updatedAt);
    if (best === undefined || at > best.at) best = { flow, at };
  }
  return best?.flow;
}

export type RereleaseDecision =
  | { readonly kind: 'release'; readonly candidate: ReleaseCandidate }
  | { readonly kind: 'refuse'; readonly reason: string };

/**
 * Whether the build of `flow`, as Azure DevOps reports it now (`build`), may be released again:
 * by the same rules as an automatic release (our project and build pipeline, completed,
 * succeeded, a release branch, parameters on their allow-lists), whatever its order.
 */
export function decideRerelease(
  flow: FlowRecord,
  build: BuildFacts | undefined,
  settings: ReleaseSettings,
  nowMs: number,
): RereleaseDecision {
  if (flow.build === undefined) return refuse(`flow ${flow.flowId} has no build (status ${flow.status})`);
  if (flow.status === 'releasing')
    return refuse(`release #${flow.release.id} of flow ${flow.flowId} is still in progress`);
  if (isClaimed(flow, nowMs))
    return refuse(
      `flow ${flow.flowId} is being worked on (by ${flow.claimedBy ?? 'a worker'}); try again later`,
    );
  if (build === undefined) return refuse(`build ${flow.build.id} no longer exists in Azure DevOps`);
  if (build.flowId !== undefined && build.flowId !== flow.flowId)
    return refuse(`build ${build.id} belongs to flow ${build.flowId}, not ${flow.flowId}`);
  const decision = decideBuildCompleted(build, settings);
  switch (decision.kind) {
    case 'ignore':
      return refuse(`build ${build.id} cannot be released: ${decision.reason} (${decision.detail})`);
    case 'release-completed':
      return refuse(`run ${build.id} is a deploy run, not a build`);
    case 'record':
      return refuse(`build ${build.id} cannot be released: ${decision.reason}`);
    case 'release':
      break;
  }
  const model = flow.model ?? modelOfBuild(build);
  const checked = releaseCandidate({
    buildId: build.id,
    buildNumber: build.buildNumber,
    flowId: flow.flowId,
    modelName: model?.name ?? flow.modelName,
    modelVersion: model?.version ?? '',
    commit: build.sourceVersion,
  });
  return checked.ok
    ? { kind: 'release', candidate: checked.candidate }
    : refuse(`build ${build.id} cannot be released: ${checked.problem}`);
}

/** One operator holds the flow while its release is started; anyone else is refused until then. */
export function claimForOperator(
  flow: FlowRecord,
  claim: { readonly by: string; readonly at: string; readonly until: string },
): FlowRecord {
  return { ...flow, claimedBy: claim.by, claimedUntil: claim.until, updatedAt: claim.at };
}

/** Lets go of an operator's claim (the release could not be started). */
export function releaseOperatorClaim(flow: FlowRecord, by: string): FlowRecord {
  if (flow.claimedBy !== by) return flow;
  const { claimedBy: _by, claimedUntil: _until, ...rest } = flow;
  return rest;
}

/** The flow released again by an operator: `releasing` with its new release, the reason in its history. */
export function rereleasedFlow(
  flow: FlowRecord,
  release: ReleaseRef,
  delivery: DeliveryRef,
  at: string,
  reason: string,
): FlowRecord {
  if (flow.build === undefined) return flow;
  return transition(
    flow,
    { status: 'releasing', ...modelOf(flow), build: flow.build, release },
    delivery,
    at,
    { reason },
  );
}

/**
 * The "last release" pointer moved explicitly to an operator's release. The ordering guard
 * keeps its mark: a build queued before the newest build ever sent to release is still never
 * released by an event (a build still running when the operator rolled back stays out).
 */
export function pointToRelease(pointers: Pointers, target: LastRelease): PointerDecision<LastRelease> {
  const guard = pointers.lastRelease;
  const queueTime =
    guard === undefined || Date.parse(target.queueTime) >= Date.parse(guard.queueTime)
      ? target.queueTime
      : guard.queueTime;
  const lastRelease: LastRelease = { ...target, queueTime };
  return { pointers: { ...pointers, lastRelease }, result: lastRelease };
}

function refuse(reason: string): RereleaseDecision {
  return { kind: 'refuse', reason };
}
