/**
 * Worker thread of the telecom ingest pool: hashes the natural keys of a batch (keyed BLAKE3) while the calling
 * thread builds its segments. It holds the natural-key hash key, never a data key, and sees only natural keys.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createKeyedHasher, type KeyedHasher } from '../crypto/keyed-hash.ts';
import { RECORD_KEY_BYTES } from './telecom-prepare.ts';
import type { HashRequest, HashResponse } from './telecom-prepare.pool.ts';

const { recordKey } = workerData as { recordKey: Uint8Array };
const recordHasher: Promise<KeyedHasher> = createKeyedHasher(Buffer.from(recordKey));

function hashAll(h: KeyedHasher, req: HashRequest): Uint8Array {
  const src = Buffer.from(req.encoded.buffer, req.encoded.byteOffset, req.encoded.byteLength);
  const keys = new Uint8Array(req.count * RECORD_KEY_BYTES);
  let o = 0;
  for (let i = 0; i < req.count; i++) {
    const n = src.readUInt32LE(o);
    keys.set(h.hash(src.subarray(o + 4, o + 4 + n)), i * RECORD_KEY_BYTES);
    o += 4 + n;
  }
  if (o !== src.length) throw new Error('malformed key batch');
  return keys;
}

parentPort!.on('message', (req: HashRequest) => {
  void (async () => {
    let res: HashResponse;
    let transfer: ArrayBuffer[] = [];
    try {
      const keys = hashAll(await recordHasher, req);
      res = { id: req.id, ok: true, keys };
      transfer = [keys.buffer as ArrayBuffer];
    } catch (err) {
      res = { id: req.id, ok: false, error: err instanceof Error ? err.name : 'hashing failed' };
    }
    parentPort!.postMessage(res, transfer);
  })();
});
