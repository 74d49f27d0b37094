import type { ContainerClient } from '@azure/storage-blob';
import { isFlowRecord, type DeliveryRef, type FlowRecord } from '../core/flow.js';
import {
  isBranchHead,
  isCurrentModel,
  isLastRelease,
  type BranchHead,
  type CurrentModel,
  type LastRelease,
} from '../core/pointers.js';
import { InfrastructureError } from '../errors.js';
import type { FlowLedger, FlowPage, Versioned } from '../ports/flowLedger.js';

/**
 * The flow ledger in one blob container:
 *   flows/<flowId>.json                 one record per flow
 *   index/<inverted ms>-<flowId>        empty blobs; listing them gives the newest flows first
 *   waiting/<flowId>                    flows waiting for the first model
 *   deliveries/<source>/<id>.json       the flow each delivery became (replays do nothing new)
 *   pointers/branches/<branch>.json     newest pushed commit per branch
 *   pointers/models/<modelName>.json    current (promoted) model version
 *   pointers/last-release.json          newest build sent to release (the ordering guard)
 * Every write is conditional: `If-None-Match: *` to create, `If-Match: <etag>` to replace.
 */
export class BlobFlowLedger implements FlowLedger {
  private ready: Promise<void> | undefined;

  constructor(
    private readonly container: ContainerClient,
    private readonly options: { readonly maxCasAttempts?: number } = {},
  ) {}

  async getDelivery(source: DeliveryRef['source'], deliveryId: string): Promise<string | undefined> {
    return (await this.readRecord(deliveryBlob(source, deliveryId), isDeliveryRecord))?.value.flowId;
  }

  async recordDelivery(source: DeliveryRef['source'], deliveryId: string, flowId: string): Promise<void> {
    // Create-if-absent: a concurrent copy of the same delivery records the same flow anyway.
    await this.createJson(deliveryBlob(source, deliveryId), { flowId, at: new Date().toISOString() });
  }

  getFlow(flowId: string): Promise<Versioned<FlowRecord> | undefined> {
    return this.readRecord(flowBlob(flowId), isFlowRecord);
  }

  async createFlow(flow: FlowRecord): Promise<Versioned<FlowRecord> | 'exists'> {
    const created = await this.createJson(flowBlob(flow.flowId), flow);
    if (created === 'exists') return 'exists';
    // The index and waiting markers are derived; a crash before they are written is
    // repaired by the next write of the same flow (see replaceFlow).
    await this.writeMarkers(flow, undefined);
    return { value: flow, etag: created.etag };
  }

  async replaceFlow(flow: FlowRecord, etag: string): Promise<Versioned<FlowRecord> | 'conflict'> {
    const next = await this.replaceJson(flowBlob(flow.flowId), flow, etag);
    if (next === 'conflict') return 'conflict';
    await this.writeMarkers(flow, etag);
    return { value: flow, etag: next.etag };
  }

  async listFlows(options: {
    readonly limit: number;
    readonly continuationToken?: string;
  }): Promise<FlowPage> {
    await this.ensureContainer();
    const pages = this.call('list flows', () =>
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
    const page = await pages;
    if (page.done === true) return { flows: [] };
    const ids = page.value.segment.blobItems.map((item) => item.name.slice(item.name.lastIndexOf('-') + 1));
    const flows = await Promise.all(ids.map(async (flowId) => (await this.getFlow(flowId))?.value));
    const token = page.value.continuationToken;
    return {
      flows: flows.filter((flow): flow is FlowRecord => flow !== undefined),
      ...(token === undefined || token === '' ? {} : { continuationToken: token }),
    };
  }

  async listWaitingFlows(): Promise<readonly FlowRecord[]> {
    await this.ensureContainer();
    const flows: FlowRecord[] = [];
    const names: string[] = [];
    await this.call('list waiting flows', async () => {
      for await (const item of this.container.listBlobsFlat({ prefix: 'waiting/' })) names.push(item.name);
    });
    for (const name of names) {
      const flow = await this.getFlow(name.slice('waiting/'.length));
      if (flow?.value.status === 'waiting-for-model') flows.push(flow.value);
    }
    return flows;
  }

  async getBranchHead(branch: string): Promise<BranchHead | undefined> {
    return (await this.readRecord(branchBlob(branch), isBranchHead))?.value;
  }

  updateBranchHead(
    branch: string,
    decide: (current: BranchHead | undefined) => BranchHead | undefined,
  ): Promise<BranchHead | undefined> {
    return this.compareAndSwap(branchBlob(branch), isBranchHead, decide);
  }

  async getCurrentModel(modelName: string): Promise<CurrentModel | undefined> {
    return (await this.readRecord(modelBlob(modelName), isCurrentModel))?.value;
  }

  updateCurrentModel(
    modelName: string,
    decide: (current: CurrentModel | undefined) => CurrentModel | undefined,
  ): Promise<CurrentModel | undefined> {
    return this.compareAndSwap(modelBlob(modelName), isCurrentModel, decide);
  }

  async getLastRelease(): Promise<LastRelease | undefined> {
    return (await this.readRecord(LAST_RELEASE_BLOB, isLastRelease))?.value;
  }

  updateLastRelease(
    decide: (current: LastRelease | undefined) => LastRelease | undefined,
  ): Promise<LastRelease | undefined> {
    return this.compareAndSwap(LAST_RELEASE_BLOB, isLastRelease, decide);
  }

  /** Reads a record and checks its shape; a blob that is not one is corruption, not absence. */
  private async readRecord<T>(
    name: string,
    guard: (value: unknown) => value is T,
  ): Promise<Versioned<T> | undefined> {
    const found = await this.readJson(name);
    if (found === undefined) return undefined;
    if (!guard(found.value)) throw corrupt(name);
    return { value: found.value, etag: found.etag };
  }

  /** Read, decide, write-if-unchanged; on a lost race read again. Answers the value now stored. */
  private async compareAndSwap<T>(
    name: string,
    guard: (value: unknown) => value is T,
    decide: (current: T | undefined) => T | undefined,
  ): Promise<T | undefined> {
    const attempts = this.options.maxCasAttempts ?? 50;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const found = await this.readRecord(name, guard);
      const current = found?.value;
      const next = decide(current);
      if (next === undefined) return current;
      const written =
        found === undefined
          ? await this.createJson(name, next)
          : await this.replaceJson(name, next, found.etag);
      if (written !== 'exists' && written !== 'conflict') return next;
    }
    throw new InfrastructureError(
      'LEDGER_CONFLICT',
      `Gave up updating ${name} after ${attempts} conflicting writes`,
      {
        transient: true,
      },
    );
  }

  private async writeMarkers(flow: FlowRecord, previousEtag: string | undefined): Promise<void> {
    const writes: Promise<unknown>[] = [];
    if (previousEtag === undefined || flow.history.length <= 1) {
      writes.push(this.putEmpty(indexBlob(flow)));
    }
    if (flow.status === 'waiting-for-model') writes.push(this.putEmpty(waitingBlob(flow.flowId)));
    else if (flow.history.some((entry) => entry.status === 'waiting-for-model')) {
      writes.push(
        this.call('remove waiting marker', () =>
          this.container
            .deleteBlob(waitingBlob(flow.flowId), { deleteSnapshots: 'include' })
            .catch(ignoreNotFound),
        ),
      );
    }
    await Promise.all(writes);
  }

  private async putEmpty(name: string): Promise<void> {
    await this.ensureContainer();
    await this.call(`write ${name}`, () => this.container.getBlockBlobClient(name).upload('', 0));
  }

  private async readJson(name: string): Promise<{ value: unknown; etag: string } | undefined> {
    await this.ensureContainer();
    return this.call(`read ${name}`, async () => {
      try {
        const response = await this.container.getBlobClient(name).download();
        const text = await readText(response.readableStreamBody);
        const value: unknown = JSON.parse(text);
        return { value, etag: response.etag ?? '' };
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    });
  }

  private async createJson(name: string, value: unknown): Promise<{ readonly etag: string } | 'exists'> {
    await this.ensureContainer();
    const body = JSON.stringify(value);
    return this.call(`create ${name}`, async () => {
      try {
        const response = await this.container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body), {
          conditions: { ifNoneMatch: '*' },
          blobHTTPHeaders: { blobContentType: 'application/json' },
        });
        return { etag: response.etag ?? '' };
      } catch (error) {
        const status = statusOf(error);
        if (status === 409 || status === 412) return 'exists';
        throw error;
      }
    });
  }

  private async replaceJson(
    name: string,
    value: unknown,
    etag: string,
  ): Promise<{ readonly etag: string } | 'conflict'> {
    await this.ensureContainer();
    const body = JSON.stringify(value);
    return this.call(`replace ${name}`, async () => {
      try {
        const response = await this.container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body), {
          conditions: { ifMatch: etag },
          blobHTTPHeaders: { blobContentType: 'application/json' },
        });
        return { etag: response.etag ?? '' };
      } catch (error) {
        if (statusOf(error) === 412) return 'conflict';
        throw error;
      }
    });
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
      if (error instanceof InfrastructureError) throw error;
      const status = statusOf(error);
      throw new InfrastructureError('STORAGE_UNAVAILABLE', `Ledger: ${operation} failed`, {
        transient: true,
        cause: error,
        ...(status === undefined ? {} : { status }),
      });
    }
  }
}

/** Milliseconds counted down from year 2286, so lexical order of index names is newest first. */
const INDEX_EPOCH_END = 9_999_999_999_999;

function indexBlob(flow: FlowRecord): string {
  const inverted = String(INDEX_EPOCH_END - Date.parse(flow.createdAt)).padStart(13, '0');
  return `index/${inverted}-${flow.flowId}`;
}

const LAST_RELEASE_BLOB = 'pointers/last-release.json';

function deliveryBlob(source: string, deliveryId: string): string {
  return `deliveries/${source}/${encodeURIComponent(deliveryId)}.json`;
}

function isDeliveryRecord(value: unknown): value is { readonly flowId: string } {
  return typeof value === 'object' && value !== null && 'flowId' in value && typeof value.flowId === 'string';
}

function flowBlob(flowId: string): string {
  return `flows/${flowId}.json`;
}

function waitingBlob(flowId: string): string {
  return `waiting/${flowId}`;
}

function branchBlob(branch: string): string {
  return `pointers/branches/${encodeURIComponent(branch)}.json`;
}

function modelBlob(modelName: string): string {
  return `pointers/models/${encodeURIComponent(modelName)}.json`;
}

function corrupt(name: string): InfrastructureError {
  return new InfrastructureError('STORAGE_UNAVAILABLE', `Ledger blob ${name} does not hold a valid record`, {
    transient: false,
  });
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('statusCode' in error)) return undefined;
  return typeof error.statusCode === 'number' ? error.statusCode : undefined;
}

function ignoreNotFound(error: unknown): void {
  if (statusOf(error) !== 404) throw error;
}

async function readText(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  if (stream === undefined) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}
