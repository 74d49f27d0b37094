/**
 * `Microsoft.Storage.BlobCreated` events in the Event Grid schema, shaped after the
 * documented schema (learn.microsoft.com, "Azure Blob Storage as an Event Grid source").
 */
import { createHash, randomUUID } from 'node:crypto';
import type { EventGridEvent } from '@azure/functions';
import type { ContainerClient } from '@azure/storage-blob';
import { SANDBOX } from '../../tools/sandbox/settings.js';

export interface BlobCreatedOptions {
  readonly container: string;
  readonly blobPath: string;
  readonly blobEndpoint: string;
  readonly api?: string;
  readonly contentLength?: number;
  readonly topic?: string;
  readonly id?: string;
  readonly url?: string;
  readonly eTag?: string;
}

export function blobCreatedEvent(options: BlobCreatedOptions): Record<string, unknown> {
  const api = options.api ?? 'PutBlockList';
  const adls = api === 'CreateFile' || api === 'FlushWithClose';
  return {
    topic: options.topic ?? SANDBOX.storageResourceId,
    subject: `/blobServices/default/containers/${options.container}/blobs/${options.blobPath}`,
    eventType: 'Microsoft.Storage.BlobCreated',
    id: options.id ?? randomUUID(),
    data: {
      api,
      clientRequestId: randomUUID(),
      requestId: randomUUID(),
      eTag: options.eTag ?? '0x8DD0F5E4A1B2C3D',
      contentType: 'application/octet-stream',
      contentLength: options.contentLength ?? 1024,
      ...(adls ? { contentOffset: 0 } : {}),
      blobType: 'BlockBlob',
      accessTier: 'Default',
      url: options.url ?? `${options.blobEndpoint}/${options.container}/${options.blobPath}`,
      sequencer: '00000000000000000000000000005E1D0000000000001a2b',
      storageDiagnostics: { batchId: randomUUID() },
    },
    dataVersion: '',
    metadataVersion: '1',
    eventTime: new Date().toISOString(),
  };
}

/** Posts events to a host's Event Grid endpoint as Event Grid does (a JSON array, aeg-event-type header). */
export async function deliverEvents(
  hostUrl: string,
  functionName: string,
  events: readonly unknown[],
): Promise<Response> {
  return fetch(`${hostUrl}/runtime/webhooks/eventgrid?functionName=${functionName}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
    body: JSON.stringify(events),
  });
}

export interface ModelFile {
  readonly path: string;
  readonly content: string | Buffer;
}

/**
 * Uploads a model version as a data scientist would (files first, manifest last) and
 * returns the BlobCreated events Event Grid would deliver, in order.
 */
export async function uploadModel(
  models: ContainerClient,
  blobEndpoint: string,
  name: string,
  version: string,
  files: readonly ModelFile[] = [{ path: 'model.onnx', content: `weights of ${name} ${version}` }],
): Promise<{ readonly events: Record<string, unknown>[]; readonly manifestSha256: string }> {
  const events: Record<string, unknown>[] = [];
  const manifestFiles = [];
  for (const file of files) {
    const content = typeof file.content === 'string' ? Buffer.from(file.content) : file.content;
    const blobPath = `${name}/${version}/${file.path}`;
    await models.getBlockBlobClient(blobPath).upload(content, content.length);
    events.push(
      blobCreatedEvent({
        container: models.containerName,
        blobPath,
        blobEndpoint,
        contentLength: content.length,
      }),
    );
    manifestFiles.push({
      path: file.path,
      size: content.length,
      sha256: createHash('sha256').update(content).digest('hex'),
    });
  }
  const manifest = Buffer.from(
    JSON.stringify({ name, version, framework: 'onnx', files: manifestFiles }, null, 2),
  );
  const manifestPath = `${name}/${version}/model.json`;
  await models.getBlockBlobClient(manifestPath).upload(manifest, manifest.length);
  events.push(
    blobCreatedEvent({
      container: models.containerName,
      blobPath: manifestPath,
      blobEndpoint,
      contentLength: manifest.length,
    }),
  );
  return { events, manifestSha256: createHash('sha256').update(manifest).digest('hex') };
}

/** The event object the Functions host hands an Event Grid trigger's handler, from the event as Event Grid sent it. */
export function eventGridTriggerEvent(event: Readonly<Record<string, unknown>>): EventGridEvent {
  const text = (value: unknown, fallback = ''): string => (typeof value === 'string' ? value : fallback);
  const data = event.data;
  return {
    id: text(event.id),
    topic: text(event.topic),
    subject: text(event.subject),
    eventType: text(event.eventType),
    eventTime: text(event.eventTime),
    dataVersion: text(event.dataVersion),
    metadataVersion: text(event.metadataVersion, '1'),
    data: typeof data === 'object' && data !== null && !Array.isArray(data) ? { ...data } : {},
  };
}
