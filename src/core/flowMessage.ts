import type { DeliveryRef, DeliverySource } from './flow.js';
import { isFlowId } from './flowId.js';
import { isObject, numberAt, objectAt, stringAt } from './guards.js';

/**
 * Work for the flow worker, carried by the `flow-work` storage queue. Messages name what
 * to do, never how: the worker re-reads the ledger (and Azure DevOps) before acting, so a
 * duplicate or replayed message is harmless.
 */
export type FlowMessage =
  /** Start the flow's build. */
  | { readonly v: 1; readonly kind: 'build'; readonly flowId: string; readonly delivery: DeliveryRef }
  /** Azure DevOps says a build (or a deploy run) completed: record it, release it if it is one to release. */
  | {
      readonly v: 1;
      readonly kind: 'build-completed';
      readonly buildId: number;
      readonly delivery: DeliveryRef;
    }
  /** Azure DevOps says a classic release's deployment completed: record the outcome on its flow. */
  | {
      readonly v: 1;
      readonly kind: 'release-completed';
      readonly releaseId: number;
      readonly delivery: DeliveryRef;
    };

const SOURCES: ReadonlySet<string> = new Set<DeliverySource>([
  'github',
  'eventgrid',
  'servicehook',
  'operator',
  'system',
]);

/** The longest delivery id any entry point accepts: every accepted delivery fits in a message. */
export const MAX_DELIVERY_ID_LENGTH = 200;

export function buildMessage(flowId: string, delivery: DeliveryRef): FlowMessage {
  return { v: 1, kind: 'build', flowId, delivery };
}

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
  switch (value.kind) {
    case 'build': {
      const flowId = stringAt(value, 'flowId');
      return flowId !== undefined && isFlowId(flowId) ? buildMessage(flowId, delivery) : undefined;
    }
    // `release` is what version 0.1 called a completed build: messages still queued during an upgrade.
    case 'release':
    case 'build-completed': {
      const buildId = positiveId(numberAt(value, 'buildId'));
      return buildId === undefined ? undefined : { v: 1, kind: 'build-completed', buildId, delivery };
    }
    case 'release-completed': {
      const releaseId = positiveId(numberAt(value, 'releaseId'));
      return releaseId === undefined ? undefined : { v: 1, kind: 'release-completed', releaseId, delivery };
    }
    default:
      return undefined;
  }
}

function positiveId(value: number | undefined): number | undefined {
  return value !== undefined && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

function isDeliverySource(source: string): source is DeliverySource {
  return SOURCES.has(source);
}
