import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';

/** A fresh container in the run's Azurite, for one test file or test. */
export async function freshContainer(prefix: string): Promise<ContainerClient> {
  const service = BlobServiceClient.fromConnectionString(inject('azurite').connectionString);
  const container = service.getContainerClient(`${prefix}-${randomBytes(4).toString('hex')}`);
  await container.createIfNotExists();
  return container;
}
