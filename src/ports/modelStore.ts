/** What the app knows about a model blob, read from its own storage (never from an event). */
export interface ModelBlob {
  /** The blob's URL without any query string: never a SAS token. */
  readonly url: string;
  readonly sha256: string;
  readonly size: number;
  /** When storage says the blob was last written: the upload time versions are ordered by. */
  readonly lastModified: string;
}

/** Reads model blobs from the app's own models container (never from a URL found in an event). */
export interface ModelStore {
  /** The blob's content (at most `maxBytes`) and what is known of it; `undefined` when it does not exist. */
  readSmallBlob(
    blobPath: string,
    maxBytes: number,
  ): Promise<(ModelBlob & { readonly bytes: Buffer }) | 'too-large' | undefined>;
  /** Size in bytes, or `undefined` when the blob does not exist. */
  sizeOf(blobPath: string): Promise<number | undefined>;
  /** SHA-256 from the blob's `sha256` metadata when present, else computed while streaming it. */
  digestOf(blobPath: string): Promise<ModelBlob | undefined>;
}
