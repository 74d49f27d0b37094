import type { TestProject } from 'vitest/node';
import { startAzurite } from '../../tools/azurite.js';
import './provided.js';

/** One Azurite for the whole run; each test file works in containers and queues of its own. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const azurite = await startAzurite();
  project.provide('azurite', {
    connectionString: azurite.connectionString,
    blobEndpoint: azurite.blobEndpoint,
    queueEndpoint: azurite.queueEndpoint,
  });
  return () => azurite.stop();
}
