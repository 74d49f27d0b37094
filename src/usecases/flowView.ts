import type { FlowRecord } from '../core/flow.js';
import { pendingEventCount } from '../core/flowEvents.js';

/** A flow as the API shows it: what went live and how it got there. */
export function flowView(flow: FlowRecord) {
  return {
    flowId: flow.flowId,
    status: flow.status,
    ...(flow.reason === undefined ? {} : { reason: flow.reason }),
    model: flow.model ?? { name: flow.modelName },
    commit: flow.commit ?? null,
    branch: flow.branch,
    trigger: flow.trigger,
    triggers: flow.triggers.map((trigger) => ({
      kind: trigger.kind,
      source: trigger.delivery.source,
      deliveryId: trigger.delivery.id,
      at: trigger.at,
    })),
    build: flow.build ?? null,
    release: flow.release ?? null,
    ...(flow.lastError === undefined ? {} : { lastError: flow.lastError }),
    history: flow.history,
    // With flow events on: how many transitions went out as events, and how many are still to go.
    ...(flow.eventsPublished === undefined
      ? {}
      : { events: { published: flow.eventsPublished, pending: pendingEventCount(flow) } }),
    createdAt: flow.createdAt,
    updatedAt: flow.updatedAt,
  };
}
