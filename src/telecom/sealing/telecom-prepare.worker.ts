/**
 * Worker thread of the telecom ingest pool: the keyed hashes of a batch's segments (natural keys, and the Bloom
 * filter of their terms), taken from the segments' MessagePack payloads (only the fields hashed are decoded) while
 * the calling thread stores the previous batch. It holds the two keyed-hash keys, never a data key, and its results are the same
 * `hashSegment` computes in the calling thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createKeyedHasher } from '../../crypto/keyed-hash.ts';
import { KEY_AND_TERM_FIELDS } from '../records/telecom-record.ts';
import { scanPayload } from './telecom-payload-scan.ts';
import { hashSegment, type TelecomHashers } from './telecom-prepare.ts';
import type { HashRequest, HashResponse, HashWorkerData } from './telecom-prepare.pool.ts';

const { kind, recordKey, termKey } = workerData as HashWorkerData;
const hashers: Promise<TelecomHashers> = (async () => ({
  record: await createKeyedHasher(Buffer.from(recordKey)),
  term: await createKeyedHasher(Buffer.from(termKey)),
}))();

parentPort!.on('message', (req: HashRequest) => {
  void (async () => {
    let res: HashResponse;
    let transfer: ArrayBuffer[] = [];
    try {
      const h = await hashers;
      const bytes = Buffer.from(req.payloads.buffer, req.payloads.byteOffset, req.payloads.byteLength);
      const segments = Array.from(req.ends, (end, i) => {
        const scan = scanPayload(
          bytes.subarray(i === 0 ? 0 : req.ends[i - 1], end),
          KEY_AND_TERM_FIELDS[kind],
        );
        return hashSegment(kind, scan.count, scan.each, h);
      });
      res = { id: req.id, ok: true, segments };
      // (`terms` views the start of its own buffer: transferred whole, the view keeps its length.)
      transfer = segments.flatMap((s) => [
        s.keys.buffer as ArrayBuffer,
        s.filter.buffer as ArrayBuffer,
        s.terms.buffer as ArrayBuffer,
      ]);
    } catch (err) {
      res = { id: req.id, ok: false, error: err instanceof Error ? err.name : 'hashing failed' };
    }
    parentPort!.postMessage(res, transfer);
  })();
});
