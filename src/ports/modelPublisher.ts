/** Writes model versions into the models container (the operator's `publish-model`). */
export interface ModelPublisher {
  /** Names of blobs under `prefix`, at most `limit`. */
  list(prefix: string, limit: number): Promise<readonly string[]>;
  /**
   * Creates a blob only if none exists by that name: versions are immutable, so an existing blob
   * is answered `'exists'` and left alone.
   */
  create(
    blobPath: string,
    content: { readonly file: string } | { readonly bytes: Buffer },
    options: {
      readonly size: number;
      readonly sha256: string;
      readonly contentType?: string;
      readonly onProgress?: (loadedBytes: number) => void;
    },
  ): Promise<'created' | 'exists'>;
}
