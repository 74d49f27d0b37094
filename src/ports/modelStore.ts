/** Reads model blobs from the app's own models container (never from a URL found in an event). */
export interface ModelStore {
  /** The blob's content (at most `maxBytes`), its SHA-256 and its URL; `undefined` when it does not exist. */
  readSmallBlob(
    blobPath: string,
    maxBytes: number,
  ): Promise<
    { readonly bytes: Buffer; readonly sha256: string; readonly url: string } | 'too-large' | undefined
  >;
  /** Size in bytes, or `undefined` when the blob does not exist. */
  sizeOf(blobPath: string): Promise<number | undefined>;
  /** SHA-256 from the blob's `sha256` metadata when present, else computed while streaming it. */
  digestOf(
    blobPath: string,
  ): Promise<{ readonly sha256: string; readonly url: string; readonly size: number } | undefined>;
}
