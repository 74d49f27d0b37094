/**
 * The blob watcher against Azurite, delivering to a recording Event Grid subscriber: one
 * event per (blob, etag), Event Grid's schema and headers, the same id when a failed delivery
 * is retried, Put Block List told apart from Put Blob, and nothing for blobs already there.
 */
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startBlobWatcher, type BlobWatcher } from '../../tools/sandbox/blobWatcher.js';
import { isRecord, stringAt, type JsonObject } from '../../tools/json.js';
import { waitFor } from '../../tools/wait.js';

const TOPIC =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/devstoreaccount1';

interface Received {
  readonly headers: IncomingMessage['headers'];
  readonly event: JsonObject;
  readonly answered: number;
}

let container: ContainerClient;
let server: Server;
let endpoint: string;
let watcher: BlobWatcher;
const received: Received[] = [];
/** Blobs whose first delivery the subscriber refuses with 503 (Event Grid would retry). */
const refuseOnce = new Set<string>();

function subjectBlob(event: JsonObject): string {
  return (stringAt(event, 'subject') ?? '').replace(/^.*\/blobs\//, '');
}

function receivedFor(blob: string): readonly Received[] {
  return received.filter((item) => subjectBlob(item.event) === blob);
}

async function polls(count: number): Promise<void> {
  for (let index = 0; index < count; index++) await watcher.nextPoll();
}

beforeAll(async () => {
  const service = BlobServiceClient.fromConnectionString(inject('azurite').connectionString);
  container = service.getContainerClient(`watch-${randomBytes(4).toString('hex')}`);
  await container.create();
  await container.getBlockBlobClient('demo/0.1.0/already-there.bin').upload('old', 3);

  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const events = Array.isArray(body) ? body.filter(isRecord) : [];
      let status = 200;
      for (const event of events) {
        const blob = subjectBlob(event);
        if (refuseOnce.delete(blob)) status = 503;
        received.push({ headers: request.headers, event, answered: status });
      }
      response.writeHead(status, { 'content-length': '0' });
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? (address satisfies AddressInfo).port : 0;
  endpoint = `http://127.0.0.1:${port}/runtime/webhooks/eventgrid?functionName=modelUploaded`;
  watcher = await startBlobWatcher({ container, topic: TOPIC, endpoint, intervalMs: 50 });
});

afterAll(async () => {
  await watcher.stop();
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  await container.deleteIfExists();
});

describe('blob watcher', () => {
  it('delivers one BlobCreated per new blob, in the Event Grid schema, as a one-event batch', async () => {
    const blob = 'demo/1.0.0/model.onnx';
    const client = container.getBlockBlobClient(blob);
    await client.upload('weights', 7);
    const etag = ((await client.getProperties()).etag ?? '').replace(/"/g, '');
    await waitFor(() => receivedFor(blob).length > 0, { what: `a delivery of ${blob}`, timeoutMs: 10_000 });
    await polls(4);
    const deliveries = receivedFor(blob);
    expect(deliveries).toHaveLength(1);
    const [delivery] = deliveries;
    expect(delivery?.headers['aeg-event-type']).toBe('Notification');
    expect(delivery?.headers['content-type']).toBe('application/json');
    expect(delivery?.event).toMatchObject({
      topic: TOPIC,
      subject: `/blobServices/default/containers/${container.containerName}/blobs/${blob}`,
      eventType: 'Microsoft.Storage.BlobCreated',
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/),
      eventTime: expect.any(String),
      data: {
        api: 'PutBlob',
        eTag: etag,
        url: client.url,
        contentLength: 7,
        blobType: 'BlockBlob',
        contentType: expect.any(String),
        clientRequestId: expect.any(String),
        requestId: expect.any(String),
      },
    });
  });

  it('does not deliver blobs that were there before it started', async () => {
    await polls(2);
    expect(receivedFor('demo/0.1.0/already-there.bin')).toHaveLength(0);
  });

  it('reports a blob committed from blocks as PutBlockList', async () => {
    const blob = 'demo/2.0.0/big.bin';
    const client = container.getBlockBlobClient(blob);
    const ids = ['block-0', 'block-1'].map((id) => Buffer.from(id).toString('base64'));
    for (const id of ids) await client.stageBlock(id, Buffer.from('chunk'), 5);
    await client.commitBlockList(ids);
    await waitFor(() => receivedFor(blob).length > 0, { what: `a delivery of ${blob}`, timeoutMs: 10_000 });
    expect(receivedFor(blob)[0]?.event).toMatchObject({ data: { api: 'PutBlockList', contentLength: 10 } });
  });

  it('retries a refused delivery with the same event id, then delivers nothing more', async () => {
    const blob = 'demo/3.0.0/model.json';
    refuseOnce.add(blob);
    await container.getBlockBlobClient(blob).upload('{}', 2);
    await waitFor(() => receivedFor(blob).some((item) => item.answered === 200), {
      what: `a successful redelivery of ${blob}`,
      timeoutMs: 10_000,
    });
    await polls(4);
    const deliveries = receivedFor(blob);
    expect(deliveries.map((item) => item.answered)).toEqual([503, 200]);
    expect(new Set(deliveries.map((item) => stringAt(item.event, 'id'))).size).toBe(1);
    expect(
      watcher
        .deliveries()
        .filter((item) => item.blob === blob)
        .map((item) => item.attempt),
    ).toEqual([1, 2]);
  });

  it('delivers a changed blob again (new etag, new id), and never twice for the same etag', async () => {
    const blob = 'demo/1.0.0/model.onnx';
    const client = container.getBlockBlobClient(blob);
    await client.upload('new weights', 11);
    await waitFor(() => receivedFor(blob).length === 2, {
      what: `a delivery of the changed ${blob}`,
      timeoutMs: 10_000,
    });
    await polls(4);
    const deliveries = receivedFor(blob);
    expect(deliveries).toHaveLength(2);
    const etags = deliveries.map((item) => {
      const data = item.event.data;
      return isRecord(data) ? data.eTag : undefined;
    });
    expect(new Set(etags).size).toBe(2);
    expect(new Set(deliveries.map((item) => stringAt(item.event, 'id'))).size).toBe(2);
  });
});
