/**
 * Stands in for Event Grid on one machine: polls a blob container (a flat listing with
 * etags) and delivers every new or changed blob to an Event Grid subscriber endpoint as a
 * `Microsoft.Storage.BlobCreated` event in the Event Grid schema, one event per
 * (blob, etag), with the id derived from both (so a retried delivery carries the same id, as
 * with Event Grid). Blobs already in the container when the watcher starts are not delivered,
 * as with a new Event Grid subscription.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { BlobItem, ContainerClient } from '@azure/storage-blob';
import { errorMessage } from '../json.js';
import { delay } from '../wait.js';

export interface BlobWatcherOptions {
  readonly container: ContainerClient;
  /** The storage account's resource id: the event's `topic`. */
  readonly topic: string;
  /** Where Event Grid would POST: `<host>/runtime/webhooks/eventgrid?functionName=<name>`. */
  readonly endpoint: string;
  readonly intervalMs?: number;
  /** Delivery attempts per (blob, etag) before giving up (Event Grid retries for 24 h; we do not). */
  readonly maxAttempts?: number;
  readonly log?: (line: string) => void;
}

export interface WatcherDelivery {
  readonly eventId: string;
  readonly blob: string;
  readonly eTag: string;
  readonly api: string;
  readonly status: number | 'error';
  readonly attempt: number;
  readonly at: string;
  readonly event: Readonly<Record<string, unknown>>;
}

export interface BlobWatcher {
  /** Every delivery attempt, in order. */
  deliveries(): readonly WatcherDelivery[];
  /** Polls completed so far. */
  polls(): number;
  /** Resolves when a poll that starts after this call has completed (or the watcher stops). */
  nextPoll(): Promise<void>;
  stop(): Promise<void>;
}

interface Pending {
  attempts: number;
  notBefore: number;
}

export async function startBlobWatcher(options: BlobWatcherOptions): Promise<BlobWatcher> {
  const intervalMs = options.intervalMs ?? 300;
  const maxAttempts = options.maxAttempts ?? 6;
  const log = options.log ?? (() => undefined);
  const container = options.container;
  const seen = new Map<string, string>();
  const pending = new Map<string, Pending>();
  const deliveries: WatcherDelivery[] = [];
  const abort = new AbortController();
  let completedPolls = 0;
  let sequence = 0;
  let lastPollError: string | undefined;
  let queuedWaiters: (() => void)[] = [];

  // The baseline: what is there now is not news.
  for (const item of await listAll(container)) seen.set(item.name, etagOf(item));

  async function poll(): Promise<void> {
    let items: BlobItem[];
    try {
      items = await listAll(container);
      lastPollError = undefined;
    } catch (error) {
      const message = errorMessage(error);
      if (message !== lastPollError && !abort.signal.aborted)
        log(`[blob-watcher] listing ${container.containerName} failed: ${message}`);
      lastPollError = message;
      return;
    }
    const present = new Set(items.map((item) => item.name));
    for (const name of [...seen.keys()]) if (!present.has(name)) seen.delete(name);
    const changed = items.filter((item) => seen.get(item.name) !== etagOf(item)).sort(uploadOrder);
    for (const item of changed) {
      if (abort.signal.aborted) return;
      const eTag = etagOf(item);
      const key = `${item.name}\n${eTag}`;
      const state = pending.get(key) ?? { attempts: 0, notBefore: 0 };
      if (Date.now() < state.notBefore) continue;
      state.attempts += 1;
      const event = await blobCreatedEvent(item, eTag);
      const status = await deliver(event);
      const api = typeof event.data.api === 'string' ? event.data.api : '';
      deliveries.push({
        eventId: event.id,
        blob: item.name,
        eTag,
        api,
        status,
        attempt: state.attempts,
        at: new Date().toISOString(),
        event,
      });
      if (typeof status === 'number' && status >= 200 && status < 300) {
        seen.set(item.name, eTag);
        pending.delete(key);
        log(
          `[blob-watcher] BlobCreated ${container.containerName}/${item.name} (${api}, eTag ${eTag}) → ${status}`,
        );
      } else if (state.attempts >= maxAttempts) {
        seen.set(item.name, eTag);
        pending.delete(key);
        log(
          `[blob-watcher] gave up on ${container.containerName}/${item.name} (eTag ${eTag}) after ${state.attempts} attempts: ${String(status)}`,
        );
      } else {
        state.notBefore = Date.now() + Math.min(10_000, 250 * 2 ** state.attempts);
        pending.set(key, state);
        log(
          `[blob-watcher] delivery of ${container.containerName}/${item.name} answered ${String(status)}; retrying (attempt ${state.attempts} of ${maxAttempts})`,
        );
      }
    }
  }

  async function blobCreatedEvent(
    item: BlobItem,
    eTag: string,
  ): Promise<{ id: string; data: Record<string, unknown> } & Record<string, unknown>> {
    sequence += 1;
    const blob = container.getBlobClient(item.name);
    return {
      topic: options.topic,
      subject: `/blobServices/default/containers/${container.containerName}/blobs/${item.name}`,
      eventType: 'Microsoft.Storage.BlobCreated',
      id: eventIdOf(container.containerName, item.name, eTag),
      data: {
        api: await apiOf(item),
        clientRequestId: randomUUID(),
        requestId: randomUUID(),
        eTag,
        contentType: item.properties.contentType ?? 'application/octet-stream',
        contentLength: item.properties.contentLength ?? 0,
        blobType: item.properties.blobType ?? 'BlockBlob',
        accessTier: item.properties.accessTier ?? 'Default',
        url: blob.url,
        sequencer: `${Date.now().toString(16).padStart(32, '0')}${sequence.toString(16).padStart(16, '0')}`,
        storageDiagnostics: { batchId: randomUUID() },
      },
      dataVersion: '',
      metadataVersion: '1',
      eventTime: new Date().toISOString(),
    };
  }

  /** Put Blob, or Put Block List when the blob was committed from blocks (large or chunked uploads). */
  async function apiOf(item: BlobItem): Promise<string> {
    if ((item.properties.blobType ?? 'BlockBlob') !== 'BlockBlob') return 'PutBlob';
    try {
      const list = await container.getBlockBlobClient(item.name).getBlockList('committed');
      return (list.committedBlocks?.length ?? 0) > 0 ? 'PutBlockList' : 'PutBlob';
    } catch {
      return 'PutBlob';
    }
  }

  async function deliver(event: Readonly<Record<string, unknown>>): Promise<number | 'error'> {
    try {
      const response = await fetch(options.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'aeg-event-type': 'Notification',
          'aeg-subscription-name': 'SANDBOX-BLOB-WATCHER',
          'aeg-delivery-count': '0',
          'aeg-data-version': '',
          'aeg-metadata-version': '1',
        },
        body: JSON.stringify([event]),
        signal: AbortSignal.any([abort.signal, AbortSignal.timeout(30_000)]),
      });
      await response.arrayBuffer();
      return response.status;
    } catch (error) {
      if (!abort.signal.aborted) log(`[blob-watcher] delivery failed: ${errorMessage(error)}`);
      return 'error';
    }
  }

  const loop = (async () => {
    while (!abort.signal.aborted) {
      const waiters = queuedWaiters;
      queuedWaiters = [];
      await poll();
      completedPolls += 1;
      for (const resolve of waiters) resolve();
      await delay(intervalMs, abort.signal);
    }
  })();

  return {
    deliveries: () => [...deliveries],
    polls: () => completedPolls,
    nextPoll: () =>
      abort.signal.aborted
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            queuedWaiters.push(resolve);
          }),
    stop: async () => {
      abort.abort();
      await loop;
      for (const resolve of queuedWaiters) resolve();
      queuedWaiters = [];
    },
  };
}

async function listAll(container: ContainerClient): Promise<BlobItem[]> {
  const items: BlobItem[] = [];
  for await (const item of container.listBlobsFlat()) items.push(item);
  return items;
}

function etagOf(item: BlobItem): string {
  return item.properties.etag.replace(/^"|"$/g, '');
}

/** Oldest first; within the same second, manifests (`model.json`) after the files they describe. */
function uploadOrder(a: BlobItem, b: BlobItem): number {
  const time = a.properties.lastModified.getTime() - b.properties.lastModified.getTime();
  if (time !== 0) return time;
  const manifest = Number(a.name.endsWith('/model.json')) - Number(b.name.endsWith('/model.json'));
  return manifest !== 0 ? manifest : a.name.localeCompare(b.name);
}

/** A GUID-shaped id that is the same for the same (container, blob, etag). */
export function eventIdOf(container: string, blob: string, eTag: string): string {
  const hex = createHash('sha256').update(`${container}\n${blob}\n${eTag}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
