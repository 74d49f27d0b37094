import type { TokenCredential } from '@azure/identity';
import type { BlobServiceClient } from '@azure/storage-blob';
import type { QueueServiceClient } from '@azure/storage-queue';
import type { StorageConnection } from '../config.js';

// The SDKs load on first use, not at cold start.

export async function createBlobServiceClient(connection: StorageConnection): Promise<BlobServiceClient> {
  const { BlobServiceClient } = await import('@azure/storage-blob');
  if (connection.kind === 'connectionString')
    return BlobServiceClient.fromConnectionString(connection.connectionString);
  return new BlobServiceClient(connection.blobEndpoint, await managedIdentityCredential(connection.clientId));
}

export async function createQueueServiceClient(connection: StorageConnection): Promise<QueueServiceClient> {
  const { QueueServiceClient } = await import('@azure/storage-queue');
  if (connection.kind === 'connectionString')
    return QueueServiceClient.fromConnectionString(connection.connectionString);
  return new QueueServiceClient(
    connection.queueEndpoint,
    await managedIdentityCredential(connection.clientId),
  );
}

/** The app's managed identity (the user-assigned one when its client id is configured). */
async function managedIdentityCredential(clientId: string | undefined): Promise<TokenCredential> {
  const { DefaultAzureCredential } = await import('@azure/identity');
  return new DefaultAzureCredential(clientId === undefined ? {} : { managedIdentityClientId: clientId });
}
