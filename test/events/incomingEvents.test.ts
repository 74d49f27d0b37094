/**
 * Incoming Event Grid events read with @azure/eventgrid's types (isSystemEvent), then judged by
 * the app's own rules (core/modelUpload.ts), against Microsoft's real payloads: the conformance
 * corpus in ../shared/conformance/eventgrid, read at run time (never copied here). Where a test
 * needs a payload at a model path, it rewrites the blob name in memory and says so.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readIncomingEvent } from '../../src/adapters/eventGridSystemEvents.js';
import { decideModelUpload, type ModelUploadSettings } from '../../src/core/modelUpload.js';
import { conformanceDir } from '../../tools/ado-emulator/conformance.js';

const folder = path.join(conformanceDir(), 'eventgrid');

/** Every event of every file in the corpus folder, with the file it came from. */
function corpus(): { readonly file: string; readonly event: Record<string, unknown> }[] {
  return readdirSync(folder)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .flatMap((file) => {
      const parsed: unknown = JSON.parse(readFileSync(path.join(folder, file), 'utf8'));
      const events: unknown[] = Array.isArray(parsed) ? parsed : [parsed];
      return events.map((event) => {
        if (!isRecord(event)) throw new Error(`${file}: not an event`);
        return { file, event };
      });
    });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function record(value: unknown): Record<string, unknown> {
  if (!isRecord(value)) throw new Error('not an object');
  return value;
}

function text(value: unknown): string {
  if (typeof value !== 'string') throw new Error('not a string');
  return value;
}

/** The same event in the CloudEvents 1.0 schema, as an Event Grid subscription with that delivery schema sends it. */
function asCloudEvent(event: Record<string, unknown>): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: event.id,
    source: event.topic,
    subject: event.subject,
    type: event.eventType,
    time: event.eventTime,
    data: event.data,
  };
}

/** The account, container and blob endpoint an event names, as the app's settings would. */
function settingsFor(event: Record<string, unknown>): ModelUploadSettings {
  const container = /\/containers\/([^/]+)\/blobs\//.exec(text(event.subject))?.[1] ?? '';
  const host = new URL(text(record(event.data).url)).host.replace('.dfs.', '.blob.');
  return {
    storageResourceId: text(event.topic),
    blobEndpoint: `https://${host}`,
    modelsContainer: container,
    modelName: 'fraud',
    trigger: 'manifest',
  };
}

/** Changed from the original: the blob's name (in `subject` and `data.url`) becomes fraud/1.0.0/model.json. */
function atModelPath(event: Record<string, unknown>): Record<string, unknown> {
  const data = record(event.data);
  const blob = text(event.subject).replace(/^.*\/blobs\//, '');
  const modelPath = 'fraud/1.0.0/model.json';
  return {
    ...event,
    subject: text(event.subject).replace(`/blobs/${blob}`, `/blobs/${modelPath}`),
    data: { ...data, url: text(data.url).replace(new RegExp(`/${blob}$`), `/${modelPath}`) },
  };
}

describe('the Event Grid corpus (../shared/conformance/eventgrid)', () => {
  const events = corpus();

  it('is there, with BlobCreated, BlobDeleted and the validation handshake', () => {
    const types = new Set(events.map(({ event }) => event.eventType));
    expect(types).toEqual(
      new Set([
        'Microsoft.Storage.BlobCreated',
        'Microsoft.Storage.BlobDeleted',
        'Microsoft.EventGrid.SubscriptionValidationEvent',
      ]),
    );
    expect(events.length).toBeGreaterThanOrEqual(7);
  });

  it.each(corpus().map(({ file, event }) => [file, event] as const))(
    '%s: isSystemEvent tells BlobCreated from the rest, in both schemas, and the fields are read as sent',
    (_file, event) => {
      for (const delivered of [event, asCloudEvent(event)]) {
        const incoming = readIncomingEvent(delivered);
        if (event.eventType !== 'Microsoft.Storage.BlobCreated') {
          expect(incoming).toEqual({ kind: 'other', id: event.id, eventType: event.eventType });
          continue;
        }
        const data = record(event.data);
        expect(incoming).toEqual({
          kind: 'blob-created',
          event: {
            id: event.id,
            topic: event.topic,
            subject: event.subject,
            eventType: 'Microsoft.Storage.BlobCreated',
            eventTime: event.eventTime,
            api: data.api,
            url: data.url,
            contentLength: data.contentLength,
            eTag: data.eTag,
          },
        });
      }
    },
  );

  it.each([
    // PutBlob, the REST specs' example: a manifest at a model path is a candidate.
    ['rest-api-specs-event-grid-schema-blob_created.json', { kind: 'candidate', version: '1.0.0' }],
    // Data Lake: FlushWithClose completes the file; its url is on the dfs endpoint of the same account.
    ['DERIVED-adls-blobcreated-flushwithclose.eventgrid.json', { kind: 'candidate', version: '1.0.0' }],
    // Data Lake: CreateFile is the empty file, before its content.
    ['azure-docs-adls-blobcreated-createfile.eventgrid.json', { kind: 'skip', reason: 'adls-create-file' }],
    ['azure-docs-sftp-blobcreated-sftpcommit.eventgrid.json', { kind: 'candidate', version: '1.0.0' }],
    // The docs' PutBlockList example names container "test-container" in its subject and "testcontainer" in its url.
    ['azure-docs-blobcreated-putblocklist.eventgrid.json', { kind: 'skip', reason: 'url-mismatch' }],
    ['azure-docs-blobdeleted.eventgrid.json', { kind: 'skip', reason: 'not-blob-created' }],
  ] as const)('%s at a model path: the app decides %o', (file, expected) => {
    const found = events.find((entry) => entry.file === file);
    if (found === undefined) throw new Error(`${file} is not in ${folder}`);
    const event = atModelPath(found.event);
    for (const delivered of [event, asCloudEvent(event)]) {
      const incoming = readIncomingEvent(delivered);
      const blobEvent =
        incoming.kind === 'blob-created'
          ? incoming.event
          : // BlobDeleted never reaches the app's rules; read its fields the same way to show why it would fail them too.
            { ...readAnyway(delivered), eventType: text(event.eventType) };
      expect(decideModelUpload(blobEvent, settingsFor(event))).toMatchObject(expected);
    }
  });

  it('as published (blob names outside <model>/<version>/<file>), nothing is a model version', () => {
    for (const { event } of events) {
      const incoming = readIncomingEvent(event);
      if (incoming.kind !== 'blob-created') continue;
      expect(decideModelUpload(incoming.event, settingsFor(event)).kind).toBe('skip');
    }
  });
});

describe('readIncomingEvent', () => {
  it('refuses what is not an event in either schema', () => {
    for (const value of [
      null,
      'event',
      42,
      [],
      {},
      { id: 'x', subject: 's' },
      { specversion: '0.3', id: 'x' },
    ])
      expect(readIncomingEvent(value)).toEqual({ kind: 'unreadable' });
  });

  it('reads a BlobCreated whose data is not an object as another event, not a blob', () => {
    expect(
      readIncomingEvent({ id: 'x', subject: 's', eventType: 'Microsoft.Storage.BlobCreated', data: 'nope' }),
    ).toEqual({ kind: 'other', id: 'x', eventType: 'Microsoft.Storage.BlobCreated' });
  });

  it("takes the storage account from a CloudEvent's source and reads its time", () => {
    const incoming = readIncomingEvent({
      specversion: '1.0',
      id: 'e1',
      source: '/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/a',
      subject: '/blobServices/default/containers/models/blobs/fraud/1.0.0/model.json',
      type: 'Microsoft.Storage.BlobCreated',
      time: '2026-01-02T03:04:05Z',
      data: { api: 'PutBlob', url: 'https://a.blob.core.windows.net/models/fraud/1.0.0/model.json' },
    });
    expect(incoming).toMatchObject({
      kind: 'blob-created',
      event: {
        topic: '/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/a',
        eventTime: '2026-01-02T03:04:05Z',
        api: 'PutBlob',
      },
    });
  });
});

/** The blob fields of any blob event (for BlobDeleted, which readIncomingEvent does not treat as a blob creation). */
function readAnyway(event: Record<string, unknown>) {
  const data = record(event.data);
  return {
    id: text(event.id),
    topic: text(event.topic ?? event.source),
    subject: text(event.subject),
    eventType: '',
    eventTime: '',
    api: text(data.api),
    url: text(data.url),
    contentLength: undefined,
    eTag: undefined,
  };
}
