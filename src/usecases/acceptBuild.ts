import {
  isStalled,
  newFlow,
  transition,
  withTrigger,
  type DeliveryRef,
  type FlowRecord,
  type ModelRef,
  type TriggerKind,
} from '../core/flow.js';
import { buildMessage, type FlowMessage } from '../core/flowMessage.js';
import type { Clock } from '../ports/clock.js';
import type { FlowLedger } from '../ports/flowLedger.js';
import { updateFlow } from './ledgerWrites.js';

export interface BuildIntent {
  readonly flowId: string;
  readonly model: ModelRef;
  /** Absent when no push of the branch was ever seen: Azure DevOps builds the branch head. */
  readonly commit?: string;
  readonly branch: string;
  readonly trigger: TriggerKind;
  readonly delivery: DeliveryRef;
}

/** What accepting an intent did, and the queue messages that must go out for it. */
export interface AcceptOutcome {
  readonly kind: 'accepted' | 'already-started' | 'in-progress';
  readonly flow: FlowRecord;
  readonly messages: readonly FlowMessage[];
}

export interface AcceptDeps {
  readonly ledger: FlowLedger;
  readonly clock: Clock;
  /** A queued flow quiet for this long is queued again (its message may never have been written). */
  readonly staleMs: number;
}

/** A queued flow quiet for this long is queued again (its message may never have been written). */
export const STALE_AFTER_MS = 5 * 60_000;

/**
 * Records the intent to build (model, commit) — cheap and idempotent, for the accepting
 * functions. The flow is created if absent (one per pair, however many deliveries); its
 * queue message is answered only when the flow needs the worker: new, failed before (a
 * redelivery is a request to try again), or queued long ago and quiet since.
 */
export async function acceptBuild(deps: AcceptDeps, intent: BuildIntent): Promise<AcceptOutcome> {
  const at = deps.clock().toISOString();
  const message = buildMessage(intent.flowId, intent.delivery);
  const { created, flow } = await deps.ledger.createFlow(
    newFlow({
      flowId: intent.flowId,
      modelName: intent.model.name,
      commit: intent.commit,
      branch: intent.branch,
      trigger: intent.trigger,
      delivery: intent.delivery,
      at,
      state: { status: 'build-queued', model: intent.model },
    }),
  );
  if (created) return { kind: 'accepted', flow: flow.value, messages: [message] };

  let decided = onExisting(flow.value, intent, at);
  const saved = await updateFlow(deps.ledger, flow, (current) => {
    decided = onExisting(current, intent, at);
    return decided.flow;
  });
  const requeue = decided.kind === 'accepted' || isStalled(saved.value, deps.clock().getTime(), deps.staleMs);
  return { kind: decided.kind, flow: saved.value, messages: requeue ? [message] : [] };
}

/** Another delivery of an existing flow: recorded as one more trigger; a failed flow is queued again. */
function onExisting(
  current: FlowRecord,
  intent: BuildIntent,
  at: string,
): { readonly kind: AcceptOutcome['kind']; readonly flow: FlowRecord } {
  const seen = withTrigger(current, { kind: intent.trigger, delivery: intent.delivery, at });
  if (current.build !== undefined) return { kind: 'already-started', flow: seen };
  if (current.status !== 'failed') return { kind: 'in-progress', flow: seen };
  return {
    kind: 'accepted',
    flow: transition(seen, { status: 'build-queued', model: intent.model }, intent.delivery, at, {
      reason: 'redelivered after a failure',
    }),
  };
}
