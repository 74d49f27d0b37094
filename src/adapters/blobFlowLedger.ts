import type { ContainerClient } from '@azure/storage-blob';
import { isFlowRecord, type FlowRecord } from '../core/flow.js';
import { isPointers, type Pointers } from '../core/pointers.js';
import { InfrastructureError } from '../errors.js';
import type { CreatedFlow, FlowLedger, FlowPage, Versioned } from '../ports/flowLedger.js';
import { storageFailure, storageStatusOf } from './storageErrors.js';

/**
 * The flow ledger in one blob container:
 *   flows/<flowId>.json            one record per flow
 *   index/<inverted ms>-<flowId>   empty blobs; listing them gives the newest flows first
 *   pointers.json                  branch heads, current model, waiting pushes, recent deliveries,
 *                                  the last build sent to release (core/pointers.ts)
 * Every write is conditional: `If-None-Match: *` to create, `If-Match: <etag>` to replace.
 */
export class BlobFlowLedger implements FlowLedger {
  private ready: Promise<void> | undefined;

  constructor(private readonly container: ContainerClient) {}

  getFlow(flowId: string): Promise<Versioned<FlowRecord> | undefined> {
    return this.readRecord(flowBlob(flowId), isFlowRecord);
  }

  /**
   * The index marker goes first: a crash before the record leaves a marker that listing
   * skips, never a flow that listing (and the stalled-flow sweeper) cannot see.
   */
  async createFlow(flow: FlowRecord): Promise<CreatedFlow> {
    const marker = indexBlob(flow.flowId, flow.createdAt);
    await this.putEmpty(marker);
    const created = await this.write(flowBlob(flow.flowId), flow, undefined);
    if (created !== 'conflict') return { created: true, flow: { value: flow, etag: created.etag } };
    const existing = await this.getFlow(flow.flowId);
    if (existing === undefined)
      throw new InfrastructureError('LEDGER_CONFLICT', `Flow ${flow.flowId} exists but cannot be read`, {
        transient: true,
      });
    // Another delivery created it first, with a marker of its own: this one is left over.
    if (indexBlob(flow.flowId, existing.value.createdAt) !== marker)
      await this.container.deleteBlob(marker).catch(() => undefined);
    return { created: false, flow: existing };
  }

  async replaceFlow(flow: FlowRecord, etag: string): Promise<Versioned<FlowRecord> | 'conflict'> {
    const written = await this.write(flowBlob(flow.flowId), flow, etag);
    return written === 'conflict' ? 'conflict' : { value: flow, etag: written.etag };
  }

  async listFlows(options: {
    readonly limit: number;
    readonly continuationToken?: string;
  }): Promise<FlowPage> {
    await this.ensureContainer();
    const page = await this.call('list flows', () =>
      this.container
        .listBlobsFlat({ prefix: 'index/' })
        .byPage({
          maxPageSize: options.limit,
          ...(options.continuationToken === undefined
            ? {}
            : { continuationToken: options.continuationToken }),
        })
        .next(),
    );
    if (page.done === true) return { flows: [] };
    const markers = page.value.segment.blobItems.map((item) => parseIndexBlob(item.name));
    const flows = await Promise.all(
      markers.map(async (marker) => {
        const flow = marker === undefined ? undefined : (await this.getFlow(marker.flowId))?.value;
        // A marker without its record (a crash in between) or left over by a duplicate: skipped.
        return flow !== undefined && indexBlob(flow.flowId, flow.createdAt) === marker?.name
          ? flow
          : undefined;
      }),
    );
    const token = page.value.continuationToken;
    return {
      flows: flows.filter((flow): flow is FlowRecord => flow !== undefined),
      ...(token === undefined || token === '' ? {} : { continuationToken: token }),
    };
  }

  readPointers(): Promise<Versioned<Pointers> | undefined> {
    return this.readRecord(POINTERS_BLOB, isPointers);
  }

  async writePointers(
    pointers: Pointers,
    etag: string | undefined,
  ): Promise<Versioned<Pointers> | 'conflict'> {
    const written = await this.write(POINTERS_BLOB, pointers, etag);
    return written === 'conflict' ? 'conflict' : { value: pointers, etag: written.etag };
  }

  /** Reads a record and checks its shape; a blob that is not one is corruption, not absence. */
  private async readRecord<T>(
    name: string,
    guard: (value: unknown) => value is T,
  ): Promise<Versioned<T> | undefined> {
    await this.ensureContainer();
    return this.call(`read ${name}`, async () => {
      let text: string;
      let etag: string;
      try {
        const response = await this.container.getBlobClient(name).download();
        text = await readText(response.readableStreamBody);
        etag = response.etag ?? '';
      } catch (error) {
        if (storageStatusOf(error) === 404) return undefined;
        throw error;
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw corrupt(name);
      }
      if (!guard(value)) throw corrupt(name);
      return { value, etag };
    });
  }

  /** Creates (`etag` undefined: if absent) or replaces (if unchanged since `etag`) a JSON blob. */
  private async write(
    name: string,
    value: unknown,
    etag: string | undefined,
  ): Promise<{ readonly etag: string } | 'conflict'> {
    await this.ensureContainer();
    const body = JSON.stringify(value);
    return this.call(`write ${name}`, async () => {
      try {
        const response = await this.container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body), {
          conditions: etag === undefined ? { ifNoneMatch: '*' } : { ifMatch: etag },
          blobHTTPHeaders: { blobContentType: 'application/json' },
        });
        return { etag: response.etag ?? '' };
      } catch (error) {
        const status = storageStatusOf(error);
        if (status === 412 || (etag === undefined && status === 409)) return 'conflict';
        throw error;
      }
    });
  }

  private async putEmpty(name: string): Promise<void> {
    await this.ensureContainer();
    await this.call(`write ${name}`, () => this.container.getBlockBlobClient(name).upload('', 0));
  }

  private ensureContainer(): Promise<void> {
    this.ready ??= this.call('create ledger container', async () => {
      await this.container.createIfNotExists();
    }).catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  private async call<T>(operation: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      throw storageFailure('STORAGE_UNAVAILABLE', `Ledger: ${operation} failed`, error);
    }
  }
}

/** Milliseconds counted down from year 2286, so lexical order of index names is newest first. */
const INDEX_EPOCH_END = 9_999_999_999_999;
const INDEX_NAME = /^index\/(\d{13})-([0-9a-f]{20})$/;

function indexBlob(flowId: string, createdAt: string): string {
  const inverted = String(INDEX_EPOCH_END - Date.parse(createdAt)).padStart(13, '0');
  return `index/${inverted}-${flowId}`;
}

function parseIndexBlob(name: string): { readonly name: string; readonly flowId: string } | undefined {
  const flowId = INDEX_NAME.exec(name)?.[2];
  return flowId === undefined ? undefined : { name, flowId };
}

const POINTERS_BLOB = 'pointers.json';

function flowBlob(flowId: string): string {
  return `flows/${flowId}.json`;
}

function corrupt(name: string): InfrastructureError {
  return new InfrastructureError('STORAGE_UNAVAILABLE', `Ledger blob ${name} does not hold a valid record`, {
    transient: false,
  });
}

async function readText(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  if (stream === undefined) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}
