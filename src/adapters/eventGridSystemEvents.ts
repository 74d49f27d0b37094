/**
 * Events the Event Grid trigger delivers, read with @azure/eventgrid's types: the envelope
 * (Event Grid schema, or CloudEvents 1.0 when the subscription delivers that) becomes the
 * SDK's `EventGridEvent` / `CloudEvent`, and `isSystemEvent('Microsoft.Storage.BlobCreated', …)`
 * says whether it is a blob creation. What the app then does with one — which account,
 * container, layout and APIs count — is core/modelUpload.ts's.
 *
 * Loaded on the first event, not at cold start (functions/modelUploaded.ts imports it lazily).
 */
import { isSystemEvent, type CloudEvent, type EventGridEvent } from '@azure/eventgrid';
import { isObject, stringAt, type JsonObject } from '../core/guards.js';
import { blobCreatedEventOf, type BlobCreatedEvent } from '../core/modelUpload.js';

export type IncomingEvent =
  | { readonly kind: 'blob-created'; readonly event: BlobCreatedEvent }
  /** Another event type (BlobDeleted, …), or a BlobCreated whose data is not an object. */
  | { readonly kind: 'other'; readonly id: string; readonly eventType: string }
  /** Not an event in either schema. */
  | { readonly kind: 'unreadable' };

const BLOB_CREATED = 'Microsoft.Storage.BlobCreated';

export function readIncomingEvent(raw: unknown): IncomingEvent {
  if (!isObject(raw)) return { kind: 'unreadable' };
  const eventGrid = asEventGridEvent(raw);
  if (eventGrid !== undefined) {
    if (!isSystemEvent(BLOB_CREATED, eventGrid))
      return { kind: 'other', id: eventGrid.id, eventType: eventGrid.eventType };
    return blobCreated(
      {
        id: eventGrid.id,
        topic: eventGrid.topic ?? '',
        subject: eventGrid.subject,
        eventType: eventGrid.eventType,
        eventTime: timeText(raw.eventTime),
      },
      eventGrid.data,
    );
  }
  const cloudEvent = asCloudEvent(raw);
  if (cloudEvent !== undefined) {
    if (!isSystemEvent(BLOB_CREATED, cloudEvent))
      return { kind: 'other', id: cloudEvent.id, eventType: cloudEvent.type };
    // In the CloudEvents schema the storage account is the `source` (Event Grid's `topic`).
    return blobCreated(
      {
        id: cloudEvent.id,
        topic: cloudEvent.source,
        subject: cloudEvent.subject ?? '',
        eventType: cloudEvent.type,
        eventTime: timeText(raw.time),
      },
      cloudEvent.data,
    );
  }
  return { kind: 'unreadable' };
}

function blobCreated(envelope: Parameters<typeof blobCreatedEventOf>[0], data: unknown): IncomingEvent {
  const event = blobCreatedEventOf(envelope, data);
  return event === undefined
    ? { kind: 'other', id: envelope.id, eventType: envelope.eventType }
    : { kind: 'blob-created', event };
}

/** The Event Grid schema: `id`, `subject`, `eventType` (and `eventTime`, `dataVersion`, `data`). */
function asEventGridEvent(raw: JsonObject): EventGridEvent<unknown> | undefined {
  const id = stringAt(raw, 'id');
  const subject = stringAt(raw, 'subject');
  const eventType = stringAt(raw, 'eventType');
  if (id === undefined || subject === undefined || eventType === undefined) return undefined;
  const topic = stringAt(raw, 'topic');
  return {
    id,
    subject,
    eventType,
    eventTime: dateOf(raw.eventTime),
    dataVersion: stringAt(raw, 'dataVersion') ?? '',
    data: raw.data,
    ...(topic === undefined ? {} : { topic }),
  };
}

/** CloudEvents 1.0: `specversion`, `id`, `source`, `type` (and `subject`, `time`, `data`). */
function asCloudEvent(raw: JsonObject): CloudEvent<unknown> | undefined {
  const id = stringAt(raw, 'id');
  const source = stringAt(raw, 'source');
  const type = stringAt(raw, 'type');
  if (raw.specversion !== '1.0' || id === undefined || source === undefined || type === undefined)
    return undefined;
  const subject = stringAt(raw, 'subject');
  return {
    id,
    source,
    type,
    ...(raw.time === undefined ? {} : { time: dateOf(raw.time) }),
    ...(subject === undefined ? {} : { subject }),
    data: raw.data,
  };
}

function dateOf(value: unknown): Date {
  if (value instanceof Date) return value;
  return new Date(typeof value === 'string' ? value : Number.NaN);
}

/** An event's time as given (the app orders by storage's own times, never by this). */
function timeText(value: unknown): string {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : value.toISOString();
  return typeof value === 'string' ? value : '';
}
