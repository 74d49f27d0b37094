import type { ContainerClient } from '@azure/storage-blob';
import type { ModelPublisher } from '../ports/modelPublisher.js';
import { storageFailure, storageStatusOf } from './storageErrors.js';

/** Writes model versions into the models container, each blob created only if absent. */
export class BlobModelPublisher implements ModelPublisher {
  constructor(private readonly container: ContainerClient) {}

  list(prefix: string, limit: number): Promise<readonly string[]> {
    return this.call(`list ${prefix}`, async () => {
      const page = await this.container.listBlobsFlat({ prefix }).byPage({ maxPageSize: limit }).next();
      return page.done === true ? [] : page.value.segment.blobItems.map((item) => item.name);
    });
  }

  create(
    blobPath: string,
    content: { readonly file: string } | { readonly bytes: Buffer },
    options: {
      readonly size: number;
      readonly sha256: string;
      readonly contentType?: string;
      readonly onProgress?: (loadedBytes: number) => void;
    },
  ): Promise<'created' | 'exists'> {
    const blob = this.container.getBlockBlobClient(blobPath);
    const { onProgress } = options;
    const upload = {
      // Versions are immutable: never overwrite what another upload wrote.
      conditions: { ifNoneMatch: '*' },
      // The app reads a blob's SHA-256 from here instead of downloading it (MODEL_TRIGGER any-file).
      metadata: { sha256: options.sha256 },
      blobHTTPHeaders: { blobContentType: options.contentType ?? 'application/octet-stream' },
      ...(onProgress === undefined
        ? {}
        : {
            onProgress: (progress: { loadedBytes: number }) => {
              onProgress(progress.loadedBytes);
            },
          }),
    };
    return this.call(`upload ${blobPath}`, async () => {
      try {
        if ('file' in content) await blob.uploadFile(content.file, upload);
        else await blob.uploadData(content.bytes, upload);
        return 'created';
      } catch (error) {
        const status = storageStatusOf(error);
        if (status === 409 || status === 412) return 'exists';
        throw error;
      }
    });
  }

  private async call<T>(operation: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      const status = storageStatusOf(error);
      const missing = status === 404 ? `: container ${this.container.containerName} does not exist` : '';
      throw storageFailure(
        'STORAGE_UNAVAILABLE',
        `Models: ${operation} failed${missing}`,
        error,
        status === undefined || status >= 500,
      );
    }
  }
}
