/**
 * Worker thread of the telecom ingest pool: the keyed hashes of a batch (natural keys, and the terms of the
 * blind-index filters) while the calling thread builds its segments. It holds the two keyed-hash keys, never a data
 * key, and sees only natural keys and terms.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createKeyedHasher, type KeyedHasher } from '../crypto/keyed-hash.ts';
import { RECORD_KEY_BYTES, TERM_BYTES } from './telecom-prepare.ts';
import type { HashRequest, HashResponse } from './telecom-prepare.pool.ts';

const { recordKey, termKey } = workerData as { recordKey: Uint8Array; termKey: Uint8Array };
const hashers: Promise<{ record: KeyedHasher; term: KeyedHasher }> = (async () => ({
  record: await createKeyedHasher(Buffer.from(recordKey)),
  term: await createKeyedHasher(Buffer.from(termKey)),
}))();

function hashAll(
  h: { record: KeyedHasher; term: KeyedHasher },
  req: HashRequest,
): { keys: Uint8Array; terms: Uint8Array } {
  const src = Buffer.from(req.encoded.buffer, req.encoded.byteOffset, req.encoded.byteLength);
  const keys = new Uint8Array(req.keys * RECORD_KEY_BYTES);
  const terms = new Uint8Array(req.terms * TERM_BYTES);
  let o = 0;
  for (let i = 0; i < req.keys; i++) {
    const n = src.readUInt32LE(o);
    keys.set(h.record.hash(src.subarray(o + 4, o + 4 + n)), i * RECORD_KEY_BYTES);
    o += 4 + n;
  }
  // Hashed from the bytes: a cache of repeated terms (decoding each to a string to look it up) cost more than it
  // saved on measured traffic, where most callees are distinct.
  for (let i = 0; i < req.terms; i++) {
    const n = src.readUInt32LE(o);
    terms.set(h.term.hash(src.subarray(o + 4, o + 4 + n)), i * TERM_BYTES);
    o += 4 + n;
  }
  if (o !== src.length) throw new Error('malformed hash batch');
  return { keys, terms };
}

parentPort!.on('message', (req: HashRequest) => {
  void (async () => {
    let res: HashResponse;
    let transfer: ArrayBuffer[] = [];
    try {
      const { keys, terms } = hashAll(await hashers, req);
      res = { id: req.id, ok: true, keys, terms };
      transfer = [keys.buffer as ArrayBuffer, terms.buffer as ArrayBuffer];
    } catch (err) {
      res = { id: req.id, ok: false, error: err instanceof Error ? err.name : 'hashing failed' };
    }
    parentPort!.postMessage(res, transfer);
  })();
});
