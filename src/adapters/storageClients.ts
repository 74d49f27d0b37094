import type { BlobServiceClient } from '@azure/storage-blob';
import type { StorageConnection } from '../config.js';

/** Builds the Blob service client lazily: the SDK is loaded on first use, not at cold start. */
export async function createBlobServiceClient(connection: StorageConnection): Promise<BlobServiceClient> {
  const { BlobServiceClient } = await import('@azure/storage-blob');
  if (connection.kind === 'connectionString')
    return BlobServiceClient.fromConnectionString(connection.connectionString);
  const { DefaultAzureCredential } = await import('@azure/identity');
  const credential = new DefaultAzureCredential(
    connection.clientId === undefined ? {} : { managedIdentityClientId: connection.clientId },
  );
  return new BlobServiceClient(connection.blobEndpoint, credential);
}
