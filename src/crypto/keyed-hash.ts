/**
 * Keyed BLAKE3 (hash-wasm): a PRF for the telecom bulk path, where a record's natural key and its numbers are
 * hashed hundreds of thousands of times a second. One call costs about 0.5 µs against 2.7–4.4 µs for Node's
 * createHmac (object set-up per call dominates), measured on the 2-core machine. Output is truncated to 16 bytes.
 */
import { createBLAKE3, type IHasher } from 'hash-wasm';

export const KEYED_HASH_BYTES = 16;
const SCRATCH_BYTES = 4096;

/** A keyed hasher bound to one 32-byte key; synchronous once created. */
export interface KeyedHasher {
  /** The 16-byte keyed hash of `msg` (strings are UTF-8). */
  hash(msg: string | Uint8Array): Buffer;
  /** Writes the 16-byte keyed hash of `msg` into `out` at `offset`, allocating no buffer. */
  hashInto(msg: string | Uint8Array, out: Buffer, offset: number): void;
}

export async function createKeyedHasher(key: Buffer): Promise<KeyedHasher> {
  if (key.length !== 32) throw new Error('keyed BLAKE3 needs a 32-byte key');
  const h: IHasher = await createBLAKE3(KEYED_HASH_BYTES * 8, key);
  // Strings are encoded into this buffer: hash-wasm's own Buffer.from per call was ~1 µs per natural key in the
  // ingest profile (allocation and GC included).
  const scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES);
  // init() restarts the keyed state; the hasher is synchronous, so calls never interleave.
  const start = (msg: string | Uint8Array): void => {
    h.init();
    if (typeof msg === 'string' && msg.length * 3 <= SCRATCH_BYTES) {
      h.update(scratch.subarray(0, scratch.write(msg, 0, 'utf8')));
    } else {
      h.update(msg);
    }
  };
  return {
    hash(msg) {
      start(msg);
      const out = h.digest('binary');
      return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    },
    hashInto(msg, out, offset) {
      start(msg);
      // As hex: digest('binary') copies into a new ArrayBuffer per call, which on the bulk path (millions of
      // hashes) cost more in garbage collection than writing 32 hex digits back as bytes.
      if (out.write(h.digest('hex'), offset, KEYED_HASH_BYTES, 'hex') !== KEYED_HASH_BYTES)
        throw new RangeError('no room for a keyed hash');
    },
  };
}
