import type { Readable } from 'node:stream';

/**
 * Where sealed recording blobs live. Implementations stream in both directions (never hold a whole blob) and
 * only ever see ciphertext: the gate seals before `put` and opens after `get`.
 */
export interface BlobStore {
  readonly kind: 'filesystem' | 's3';
  /** Stores `body` under `key`; the blob appears only once complete. Rejects (leaving nothing) if `body` errors. */
  put(key: string, body: Readable): Promise<{ bytes: number }>;
  /** The blob's bytes; rejects with NOT_FOUND before any byte when there is no such blob. */
  get(key: string): Promise<Readable>;
  /** Removes the blob; removing a missing blob is not an error. */
  delete(key: string): Promise<void>;
  /** Whether a complete blob exists under `key`. */
  exists(key: string): Promise<boolean>;
}

/** Blob keys are random names chosen by the gate; anything else (paths, personal data) is refused. */
export const BLOB_KEY = /^[A-Za-z0-9][A-Za-z0-9_-]{7,127}$/;

/** Throws unless `key` is a well-formed blob key. */
export function assertBlobKey(key: string): void {
  // A programming error, not bad input: keys never come from a client.
  if (!BLOB_KEY.test(key)) throw new Error('malformed blob key');
}
