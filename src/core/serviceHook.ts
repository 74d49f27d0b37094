import type { DeliveryRef } from './flow.js';
import type { FlowMessage } from './flowMessage.js';
import { isObject, numberAt, objectAt, stringAt } from './guards.js';

/** The Azure DevOps service-hook events the app subscribes to. */
export const BUILD_COMPLETE = 'build.complete';
export const DEPLOYMENT_COMPLETED = 'ms.vss-release.deployment-completed-event';

/**
 * What a service-hook notification claims. Service hooks are not signed: this only says
 * which build or release to re-read from the API, never what happened to it.
 */
export interface ServiceHookNotification {
  readonly eventType: string;
  readonly subscriptionId: string;
  readonly notificationId: string;
  /** `build.complete`: the build (or deploy-pipeline run). */
  readonly buildId: number | undefined;
  /** `ms.vss-release.deployment-completed-event`: the classic release. */
  readonly releaseId: number | undefined;
}

export function parseServiceHookNotification(payload: unknown): ServiceHookNotification | undefined {
  if (!isObject(payload)) return undefined;
  const resource = objectAt(payload, 'resource');
  const notificationId = payload.notificationId;
  // Current build payloads carry resource.id; the oldest ones only resource.url (…/_apis/build/Builds/<id>).
  const buildId =
    resource === undefined ? undefined : (numberAt(resource, 'id') ?? idFromUrl(stringAt(resource, 'url')));
  // A deployment event names its release under resource.environment.release (environment.releaseId is 0 in samples).
  const environment = resource === undefined ? undefined : objectAt(resource, 'environment');
  const release = environment === undefined ? undefined : objectAt(environment, 'release');
  const rawNotificationId =
    typeof notificationId === 'number' || typeof notificationId === 'string'
      ? String(notificationId)
      : (stringAt(payload, 'id') ?? '');
  return {
    eventType: stringAt(payload, 'eventType') ?? '',
    // Both become the delivery's identity: anything but a GUID or a number is dropped, not stored.
    subscriptionId: boundedId(stringAt(payload, 'subscriptionId') ?? ''),
    notificationId: boundedId(rawNotificationId),
    buildId: positiveId(buildId),
    releaseId: positiveId(release === undefined ? undefined : numberAt(release, 'id')),
  };
}

export type ServiceHookDecision =
  | {
      readonly kind: 'work';
      readonly message: FlowMessage;
      /** What the notification is about, for the answer and the log. */
      readonly subject: { readonly buildId: number } | { readonly releaseId: number };
    }
  | {
      readonly kind: 'ignored';
      readonly reason: 'other-event' | 'no-build-id' | 'no-release-id';
      readonly detail: string;
    };

/** The work a notification asks for: re-read that build or release in the worker. */
export function decideServiceHook(notification: ServiceHookNotification): ServiceHookDecision {
  const id = notification.notificationId || String(notification.buildId ?? notification.releaseId ?? '');
  const delivery: DeliveryRef = {
    source: 'servicehook',
    id: `${notification.subscriptionId || 'unknown'}:${id}`,
  };
  if (notification.eventType === BUILD_COMPLETE) {
    if (notification.buildId === undefined)
      return { kind: 'ignored', reason: 'no-build-id', detail: 'the notification names no build' };
    const { buildId } = notification;
    return {
      kind: 'work',
      message: { v: 1, kind: 'build-completed', buildId, delivery },
      subject: { buildId },
    };
  }
  if (notification.eventType === DEPLOYMENT_COMPLETED) {
    if (notification.releaseId === undefined)
      return { kind: 'ignored', reason: 'no-release-id', detail: 'the notification names no release' };
    const { releaseId } = notification;
    return {
      kind: 'work',
      message: { v: 1, kind: 'release-completed', releaseId, delivery },
      subject: { releaseId },
    };
  }
  return {
    kind: 'ignored',
    reason: 'other-event',
    detail: `event type ${notification.eventType || '(none)'}`,
  };
}

function boundedId(value: string): string {
  return /^[A-Za-z0-9-]{1,64}$/.test(value) ? value : '';
}

function positiveId(value: number | undefined): number | undefined {
  return value !== undefined && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

function idFromUrl(url: string | undefined): number | undefined {
  const match = url === undefined ? null : /\/_apis\/build\/builds\/(\d{1,10})(?:$|[/?])/i.exec(url);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
