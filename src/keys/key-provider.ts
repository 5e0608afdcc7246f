/**
 * The master key (KEK) abstraction and the wrapping of data keys under it. Data keys exist outside memory
 * only in wrapped form; rotating the KEK rewraps them without touching the data they encrypt.
 */
import { KEY_BYTES, open, seal } from '../crypto/aead.ts';

/** Supplies the master key (KEK) that wraps every data key. */
export interface KeyProvider {
  readonly kind: string; // 'local-file' | 'env' | 'pkcs11' ...
  currentVersion(): number;
  /** 32 bytes; throws SigiloError('KEY_NOT_FOUND') for unknown versions. */
  getKek(version: number): Buffer;
  versions(): number[];
  /** Adds a new current master-key version (rotation step 1). */
  addVersion(): Promise<number>;
  /** Forgets a version after every wrapped key was rewrapped (rotation step 3). */
  retireVersion(version: number): Promise<void>;
  /**
   * Re-reads the versions now, for providers that several processes share (the local key file): a writer calls it
   * when the version it holds is being retired by another process's rotation.
   */
  refresh?(): void;
}

// Prefixed to the caller's aad so a wrapped key can never be accepted as (or confused with) a data
// ciphertext sealed under the same key bytes.
const WRAP_CONTEXT = Buffer.from('sigilo/wrapped-key/1\0');

function wrapAad(aad: Buffer): Buffer {
  return Buffer.concat([WRAP_CONTEXT, aad], WRAP_CONTEXT.length + aad.length);
}

function assertKek(kek: Buffer): void {
  if (kek.length !== KEY_BYTES) throw new RangeError(`master key must be ${KEY_BYTES} bytes`);
}

/**
 * Seals a data key under the KEK (AES-256-GCM). `aad` must say what the key is and which KEK version
 * wraps it, so a wrapped key cannot be swapped with another's.
 */
export function wrapKey(kek: Buffer, dek: Buffer, aad: Buffer): Buffer {
  assertKek(kek);
  if (dek.length === 0) throw new RangeError('cannot wrap an empty key');
  return seal(kek, dek, wrapAad(aad));
}

/** Opens a key made by `wrapKey` (as read from its row); wrong KEK, aad, bytes or type throw INTEGRITY_ERROR. */
export function unwrapKey(kek: Buffer, wrapped: unknown, aad: Buffer): Buffer {
  assertKek(kek);
  return open(kek, wrapped, wrapAad(aad));
}
