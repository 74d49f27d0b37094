import type { DeliveryRef } from './flow.js';
import { isObject, numberAt, objectAt, stringAt } from './guards.js';

/**
 * Work for the flow worker, carried by the `flow-work` storage queue. Messages name what
 * to do, never how: the worker re-reads the ledger (and Azure DevOps) before acting, so a
 * duplicate or replayed message is harmless.
 */
export type FlowMessage =
  | { readonly v: 1; readonly kind: 'build'; readonly flowId: string; readonly delivery: DeliveryRef }
  | { readonly v: 1; readonly kind: 'release'; readonly buildId: number; readonly delivery: DeliveryRef };

const SOURCES = new Set(['github', 'eventgrid', 'servicehook', 'operator', 'system']);

/** The longest delivery id any entry point accepts: every accepted delivery fits in a message. */
export const MAX_DELIVERY_ID_LENGTH = 200;

export function parseFlowMessage(value: unknown): FlowMessage | undefined {
  if (!isObject(value) || value.v !== 1) return undefined;
  const deliveryObject = objectAt(value, 'delivery');
  const source = deliveryObject === undefined ? undefined : stringAt(deliveryObject, 'source');
  const id = deliveryObject === undefined ? undefined : stringAt(deliveryObject, 'id');
  if (
    source === undefined ||
    id === undefined ||
    !isDeliverySource(source) ||
    id.length > MAX_DELIVERY_ID_LENGTH
  )
    return undefined;
  const delivery: DeliveryRef = { source, id };
  if (value.kind === 'build') {
    const flowId = stringAt(value, 'flowId');
    return flowId !== undefined && /^[0-9a-f]{20}$/.test(flowId)
      ? { v: 1, kind: 'build', flowId, delivery }
      : undefined;
  }
  if (value.kind === 'release') {
    const buildId = numberAt(value, 'buildId');
    return buildId !== undefined && Number.isSafeInteger(buildId) && buildId > 0
      ? { v: 1, kind: 'release', buildId, delivery }
      : undefined;
  }
  return undefined;
}

function isDeliverySource(source: string): source is DeliveryRef['source'] {
  return SOURCES.has(source);
}
