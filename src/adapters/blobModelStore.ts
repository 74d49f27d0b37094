import type { BlobGetPropertiesResponse, ContainerClient } from '@azure/storage-blob';
import { createHash } from 'node:crypto';
import { InfrastructureError } from '../errors.js';
import type { ModelBlob, ModelStore } from '../ports/modelStore.js';
import { storageFailure, storageStatusOf } from './storageErrors.js';

export class BlobModelStore implements ModelStore {
  constructor(private readonly container: ContainerClient) {}

  async readSmallBlob(
    blobPath: string,
    maxBytes: number,
  ): Promise<(ModelBlob & { bytes: Buffer }) | 'too-large' | undefined> {
    const blob = this.container.getBlobClient(blobPath);
    return this.call(`read ${blobPath}`, async () => {
      const properties = copied(blobPath, await blob.getProperties());
      if ((properties.contentLength ?? 0) > maxBytes) return 'too-large';
      const response = await blob.download(0, undefined, { conditions: { ifMatch: properties.etag ?? '*' } });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.readableStreamBody ?? []) {
        const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        size += buffer.length;
        if (size > maxBytes) return 'too-large';
        chunks.push(buffer);
      }
      const bytes = Buffer.concat(chunks);
      return {
        bytes,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        url: withoutQuery(blob.url),
        size: bytes.length,
        lastModified: isoOf(properties.lastModified),
      };
    });
  }

  sizeOf(blobPath: string): Promise<number | undefined> {
    return this.call(`read properties of ${blobPath}`, async () => {
      const properties = copied(blobPath, await this.container.getBlobClient(blobPath).getProperties());
      return properties.contentLength ?? 0;
    });
  }

  digestOf(blobPath: string): Promise<ModelBlob | undefined> {
    const blob = this.container.getBlobClient(blobPath);
    return this.call(`hash ${blobPath}`, async () => {
      const properties = copied(blobPath, await blob.getProperties());
      const size = properties.contentLength ?? 0;
      const declared = properties.metadata?.sha256;
      if (declared !== undefined && /^[0-9a-fA-F]{64}$/.test(declared)) {
        return {
          sha256: declared.toLowerCase(),
          url: withoutQuery(blob.url),
          size,
          lastModified: isoOf(properties.lastModified),
        };
      }
      // Pin the version we hash: a concurrent overwrite fails the read instead of mixing two uploads.
      const response = await blob.download(0, undefined, { conditions: { ifMatch: properties.etag ?? '*' } });
      const hash = createHash('sha256');
      for await (const chunk of response.readableStreamBody ?? []) hash.update(chunk);
      return {
        sha256: hash.digest('hex'),
        url: withoutQuery(blob.url),
        size,
        lastModified: isoOf(properties.lastModified),
      };
    });
  }

  private async call<T>(operation: string, action: () => Promise<T>): Promise<T | undefined> {
    try {
      return await action();
    } catch (error) {
      if (!(error instanceof InfrastructureError) && storageStatusOf(error) === 404) return undefined;
      throw storageFailure('MODEL_UNREADABLE', `Models: ${operation} failed`, error);
    }
  }
}

/**
 * A blob still being copied is not complete: on accounts with a hierarchical namespace,
 * BlobCreated fires when CopyBlob starts. Transient, so the event is delivered again later.
 */
function copied(blobPath: string, properties: BlobGetPropertiesResponse): BlobGetPropertiesResponse {
  if (properties.copyStatus === 'pending') {
    throw new InfrastructureError('MODEL_INCOMPLETE', `Models: ${blobPath} is still being copied`, {
      transient: true,
    });
  }
  return properties;
}

/** A client built from a SAS connection string puts the token in every URL: keep it out of parameters and records. */
function withoutQuery(url: string): string {
  const parsed = new URL(url);
  parsed.search = '';
  parsed.hash = '';
  return parsed.href;
}

function isoOf(date: Date | undefined): string {
  return (date ?? new Date()).toISOString();
}
