import type { DeliveryRef, FlowRecord } from '../core/flow.js';
import { waitingFlowIdOf } from '../core/flowId.js';
import { decidePush, type PushEvent, type PushFilter, type PushSkipReason } from '../core/githubPush.js';
import { nextBranchHead, type BranchHead } from '../core/pointers.js';
import type { FlowLedger } from '../ports/flowLedger.js';
import type { Logger } from '../ports/logger.js';
import type { AcceptOutcome, FlowEngine } from './flowEngine.js';

export type PushOutcome =
  | { readonly kind: 'skipped'; readonly reason: PushSkipReason; readonly detail: string }
  | { readonly kind: 'waiting-for-model'; readonly flow: FlowRecord }
  /** This delivery was seen before: it maps to the flow it became then, and starts nothing new. */
  | { readonly kind: 'duplicate'; readonly flow: FlowRecord }
  | AcceptOutcome;

export interface HandlePushDeps {
  readonly ledger: FlowLedger;
  readonly engine: FlowEngine;
  readonly logger: Logger;
  readonly filter: PushFilter;
  readonly modelName: string;
  readonly now?: () => Date;
}

export interface PushDelivery {
  readonly event: PushEvent;
  readonly deliveryId: string;
  /** When GitHub says the push happened; the receive time when it does not say. */
  readonly pushedAt?: string;
}

/** A push to a release branch: move the branch head, then build the commit with the current model. */
export async function handlePush(deps: HandlePushDeps, push: PushDelivery): Promise<PushOutcome> {
  const decision = decidePush(push.event, deps.filter);
  if (decision.kind === 'skip') {
    deps.logger.info('Push skipped', {
      deliveryId: push.deliveryId,
      reason: decision.reason,
      detail: decision.detail,
    });
    return { kind: 'skipped', reason: decision.reason, detail: decision.detail };
  }
  const now = (deps.now ?? (() => new Date()))().toISOString();
  const delivery: DeliveryRef = { source: 'github', id: push.deliveryId };
  // A delivery seen before (GitHub's "Redeliver", a replayed capture) is the flow it became
  // then — never the same commit again with whatever model is current now.
  const knownFlowId = await deps.ledger.getDelivery('github', push.deliveryId);
  if (knownFlowId !== undefined) {
    const redelivery = await redelivered(deps, knownFlowId, delivery);
    if (redelivery !== undefined) return redelivery;
  }
  const head: BranchHead = {
    branch: decision.branch,
    commit: decision.commit,
    pushedAt: push.pushedAt ?? now,
    receivedAt: now,
    delivery,
  };
  const newest = await deps.ledger.updateBranchHead(decision.branch, (current) =>
    nextBranchHead(current, head),
  );
  // A push older than the branch's newest (a late delivery, or a captured delivery replayed
  // under a fresh delivery id — GitHub signs only the body) would build old code: skip it.
  if (
    newest !== undefined &&
    newest.commit !== decision.commit &&
    Date.parse(newest.pushedAt) > Date.parse(head.pushedAt)
  ) {
    const detail = `${decision.branch} was pushed later (${newest.commit.slice(0, 12)} at ${newest.pushedAt})`;
    deps.logger.info('Push skipped', {
      deliveryId: push.deliveryId,
      reason: 'older-than-branch-head',
      detail,
    });
    return { kind: 'skipped', reason: 'older-than-branch-head', detail };
  }

  const current = await deps.ledger.getCurrentModel(deps.modelName);
  if (current === undefined) {
    const flow = await recordWaitingFlow(deps, decision.branch, decision.commit, delivery, now);
    deps.logger.warn('No model promoted yet: the flow waits for the first model upload', {
      flowId: flow.flowId,
      modelName: deps.modelName,
      commit: decision.commit,
    });
    await deps.ledger.recordDelivery('github', push.deliveryId, flow.flowId);
    return { kind: 'waiting-for-model', flow };
  }
  const outcome = await deps.engine.acceptBuild({
    model: current.model,
    commit: decision.commit,
    branch: decision.branch,
    trigger: 'push',
    delivery,
  });
  await deps.ledger.recordDelivery('github', push.deliveryId, outcome.flow.flowId);
  return outcome;
}

/** A known delivery: its flow retried if it failed or stalled (redelivering is how GitHub users retry), else nothing new. */
async function redelivered(
  deps: HandlePushDeps,
  flowId: string,
  delivery: DeliveryRef,
): Promise<PushOutcome | undefined> {
  const stored = await deps.ledger.getFlow(flowId);
  if (stored === undefined) return undefined;
  const flow = stored.value;
  // Not built yet: failed (retry it) or queued (queued again if it shows no sign of life).
  if (
    (flow.status === 'failed' || flow.status === 'build-queued') &&
    flow.build === undefined &&
    flow.model !== undefined
  ) {
    return deps.engine.acceptBuild({
      model: flow.model,
      ...(flow.commit === undefined ? {} : { commit: flow.commit }),
      branch: flow.branch,
      trigger: flow.trigger,
      delivery,
    });
  }
  deps.logger.info('Delivery seen before: nothing new to do', {
    deliveryId: delivery.id,
    flowId,
    status: flow.status,
  });
  return flow.status === 'waiting-for-model'
    ? { kind: 'waiting-for-model', flow }
    : { kind: 'duplicate', flow };
}

async function recordWaitingFlow(
  deps: HandlePushDeps,
  branch: string,
  commit: string,
  delivery: DeliveryRef,
  at: string,
): Promise<FlowRecord> {
  const flowId = waitingFlowIdOf(deps.modelName, commit);
  const flow: FlowRecord = {
    schemaVersion: 1,
    flowId,
    status: 'waiting-for-model',
    modelName: deps.modelName,
    commit,
    branch,
    trigger: 'push',
    triggers: [{ kind: 'push', delivery, at }],
    attempts: 0,
    history: [{ status: 'waiting-for-model', at, delivery, reason: 'no model promoted yet' }],
    reason: 'no model promoted yet',
    createdAt: at,
    updatedAt: at,
  };
  const created = await deps.ledger.createFlow(flow);
  if (created !== 'exists') return created.value;
  const existing = await deps.ledger.getFlow(flowId);
  return existing?.value ?? flow;
}
