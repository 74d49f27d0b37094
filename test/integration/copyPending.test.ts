/**
 * CopyBlob on an account with a hierarchical namespace raises BlobCreated when the copy starts,
 * not when it ends (Microsoft's blob event schema page). A model blob whose copy is still pending
 * is not complete: the model store refuses it as a transient failure, so Event Grid delivers the
 * event again later. Azurite copies at once, so a proxy in front of it answers as storage does
 * while a copy runs (`x-ms-copy-status: pending`).
 */
import { describe, expect, inject, it } from 'vitest';
import { BlobServiceClient } from '@azure/storage-blob';
import { BlobModelStore } from '../../src/adapters/blobModelStore.js';
import { isRetryable } from '../../src/errors.js';
import { startCountingProxy } from '../support/countingProxy.js';
import { freshContainer } from '../support/storage.js';

describe('a model blob still being copied', () => {
  it('is refused as MODEL_INCOMPLETE, a transient failure; once copied it is read', async () => {
    const azurite = inject('azurite');
    const container = await freshContainer('models');
    await container.getBlockBlobClient('fraud/1.0.0/model.json').upload('{"files":[]}', 12);
    let pending = true;
    const proxy = await startCountingProxy(azurite.blobEndpoint, {
      answerHeaders: (request) =>
        pending && request.method === 'HEAD'
          ? { 'x-ms-copy-status': 'pending', 'x-ms-copy-id': 'c0ffee' }
          : {},
    });
    try {
      const viaProxy = BlobServiceClient.fromConnectionString(
        azurite.connectionString.replace(azurite.blobEndpoint, proxy.endpoint),
      ).getContainerClient(container.containerName);
      const store = new BlobModelStore(viaProxy);
      const refused = await store
        .readSmallBlob('fraud/1.0.0/model.json', 1024)
        .catch((error: unknown) => error);
      expect(refused).toMatchObject({ code: 'MODEL_INCOMPLETE' });
      expect(isRetryable(refused)).toBe(true);
      await expect(store.sizeOf('fraud/1.0.0/model.json')).rejects.toMatchObject({
        code: 'MODEL_INCOMPLETE',
      });
      pending = false;
      expect(await store.sizeOf('fraud/1.0.0/model.json')).toBe(12);
    } finally {
      await proxy.close();
    }
  });
});
