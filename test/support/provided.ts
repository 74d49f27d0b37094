import type {} from 'vitest';

/** Values the global setup hands to every test file (`inject('azurite')`). */
declare module 'vitest' {
  export interface ProvidedContext {
    azurite: { connectionString: string; blobEndpoint: string; queueEndpoint: string };
  }
}

export {};
