import { isBuildable, newFlow, type DeliveryRef, type FlowRecord } from '../core/flow.js';
import type { PushEvent } from '../core/githubPush.js';
import { decidePush, type PushFilter, type PushSkipReason } from '../core/pushDecision.js';
import { joinPush } from '../core/pointers.js';
import type { Logger } from '../ports/logger.js';
import { acceptBuild, type AcceptDeps, type AcceptOutcome } from './acceptBuild.js';
import { updatePointers } from './ledgerWrites.js';

export type PushOutcome =
  | { readonly kind: 'skipped'; readonly reason: PushSkipReason; readonly detail: string }
  | { readonly kind: 'waiting-for-model'; readonly flow: FlowRecord; readonly messages: readonly [] }
  /** This delivery was seen before: it maps to the flow it became then, and starts nothing new. */
  | { readonly kind: 'duplicate'; readonly flow: FlowRecord; readonly messages: readonly [] }
  | AcceptOutcome;

export interface AcceptPushDeps extends AcceptDeps {
  readonly logger: Logger;
  readonly filter: PushFilter;
  readonly modelName: string;
}

export interface PushDelivery {
  readonly event: PushEvent;
  readonly deliveryId: string;
}

/**
 * A push to a release branch: move the branch head, then build the commit with the current
 * model (or let it wait for the first one). Two ledger round trips for the pointers (read,
 * conditional write) and one flow created; the worker does the rest.
 */
export async function acceptPush(
  deps: AcceptPushDeps,
  push: PushDelivery,
  options: { readonly rejoin?: boolean } = {},
): Promise<PushOutcome> {
  const decision = decidePush(push.event, deps.filter);
  if (decision.kind === 'skip') {
    deps.logger.info('Push skipped', {
      deliveryId: push.deliveryId,
      reason: decision.reason,
      detail: decision.detail,
    });
    return { kind: 'skipped', reason: decision.reason, detail: decision.detail };
  }
  const at = deps.clock().toISOString();
  const delivery: DeliveryRef = { source: 'github', id: push.deliveryId };
  const { branch, commit } = decision;
  const join = await updatePointers(deps.ledger, (pointers) =>
    joinPush(
      pointers,
      { branch, commit, pushedAt: push.event.pushedAt ?? at, receivedAt: at, delivery },
      deps.modelName,
      options,
    ),
  );
  switch (join.kind) {
    case 'known-delivery': {
      const redelivery = await redelivered(deps, join.flowId, delivery);
      return redelivery ?? acceptPush(deps, push, { rejoin: true });
    }
    case 'older-than-branch-head': {
      // A late delivery, or a captured delivery replayed under a fresh id (GitHub signs only the body).
      const detail = `${branch} was pushed later (${join.head.commit.slice(0, 12)} at ${join.head.pushedAt})`;
      deps.logger.info('Push skipped', {
        deliveryId: push.deliveryId,
        reason: 'older-than-branch-head',
        detail,
      });
      return { kind: 'skipped', reason: 'older-than-branch-head', detail };
    }
    case 'wait': {
      const reason = 'no model promoted yet';
      const { flow } = await deps.ledger.createFlow(
        newFlow({
          flowId: join.flowId,
          modelName: deps.modelName,
          commit,
          branch,
          trigger: 'push',
          delivery,
          at,
          state: { status: 'waiting-for-model' },
          reason,
        }),
      );
      deps.logger.warn('No model promoted yet: the flow waits for the first model upload', {
        flowId: join.flowId,
        modelName: deps.modelName,
        commit,
      });
      return { kind: 'waiting-for-model', flow: flow.value, messages: [] };
    }
    case 'build':
      return acceptBuild(deps, {
        flowId: join.flowId,
        model: join.model,
        commit,
        branch,
        trigger: 'push',
        delivery,
      });
  }
}

/** A known delivery: its flow retried if it failed or stalled (redelivering is how GitHub users retry), else nothing new. */
async function redelivered(
  deps: AcceptPushDeps,
  flowId: string,
  delivery: DeliveryRef,
): Promise<PushOutcome | undefined> {
  const stored = await deps.ledger.getFlow(flowId);
  if (stored === undefined) return undefined;
  const flow = stored.value;
  if (isBuildable(flow)) {
    return acceptBuild(deps, {
      flowId,
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
    ? { kind: 'waiting-for-model', flow, messages: [] }
    : { kind: 'duplicate', flow, messages: [] };
}
