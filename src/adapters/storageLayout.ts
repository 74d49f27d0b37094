import type { BlobServiceClient } from '@azure/storage-blob';
import type { QueueServiceClient } from '@azure/storage-queue';
import { InfrastructureError } from '../errors.js';
import type { StorageLayout } from '../ports/storageLayout.js';
import { storageStatusOf } from './storageErrors.js';

/** The app's containers and queues in its storage account. */
export class AzureStorageLayout implements StorageLayout {
  readonly blobEndpoint: string;

  constructor(
    private readonly blobs: BlobServiceClient,
    private readonly queues: QueueServiceClient,
  ) {
    // Without any query string: a SAS connection string puts its token in every URL.
    const url = new URL(blobs.url);
    url.search = '';
    this.blobEndpoint = url.href.replace(/\/+$/, '');
  }

  containerExists(name: string): Promise<boolean> {
    return call(`read container ${name}`, () => this.blobs.getContainerClient(name).exists());
  }

  createContainer(name: string): Promise<'created' | 'exists'> {
    return call(`create container ${name}`, async () =>
      (await this.blobs.getContainerClient(name).createIfNotExists()).succeeded ? 'created' : 'exists',
    );
  }

  queue(name: string): Promise<{ readonly exists: boolean; readonly messages: number }> {
    return call(`read queue ${name}`, async () => {
      try {
        const properties = await this.queues.getQueueClient(name).getProperties();
        return { exists: true, messages: properties.approximateMessagesCount ?? 0 };
      } catch (error) {
        if (storageStatusOf(error) === 404) return { exists: false, messages: 0 };
        throw error;
      }
    });
  }

  createQueue(name: string): Promise<'created' | 'exists'> {
    return call(`create queue ${name}`, async () =>
      (await this.queues.getQueueClient(name).createIfNotExists()).succeeded ? 'created' : 'exists',
    );
  }
}

async function call<T>(operation: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    const status = storageStatusOf(error);
    throw new InfrastructureError(
      'STORAGE_UNAVAILABLE',
      `Storage: ${operation} failed${status === undefined ? '' : ` (${status})`}`,
      {
        transient: status === undefined || status >= 500,
        cause: error,
        ...(status === undefined ? {} : { status }),
      },
    );
  }
}
