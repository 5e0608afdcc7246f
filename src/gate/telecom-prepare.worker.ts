/**
 * Worker thread of the telecom ingest pool: attribution, normalisation, keyed hashing and payload encoding of
 * CDR batches (telecom-prepare.ts). It holds the natural-key hash key of the bulk path, never a data key; nothing
 * it returns is sealed yet.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createKeyedHasher, type KeyedHasher } from '../crypto/keyed-hash.ts';
import { attributeCdrs } from '../telecom/ingest/cdr-attribution.ts';
import { prepareAccount, type PreparedAccount } from './telecom-prepare.ts';
import { unpackCdrs, type PrepareRequest, type PrepareResponse } from './telecom-prepare.pool.ts';

const { recordKey } = workerData as { recordKey: Uint8Array };
const recordHasher: Promise<KeyedHasher> = createKeyedHasher(Buffer.from(recordKey));

/**
 * Copies every array into its own exact-size buffer, to be transferred: a view's backing buffer may be a shared
 * slab (msgpackr's output, pooled small Buffers) holding other batches' plaintext, and transferring it would
 * detach it here.
 */
function exact(a: PreparedAccount, transfer: ArrayBuffer[]): PreparedAccount {
  // Not Buffer#slice, which is a view: the typed arrays' own constructors copy.
  const own = (v: Uint8Array): Uint8Array => {
    const copy = new Uint8Array(v);
    transfer.push(copy.buffer);
    return copy;
  };
  const ownAts = (v: Float64Array): Float64Array => {
    const copy = new Float64Array(v);
    transfer.push(copy.buffer);
    return copy;
  };
  return {
    ...a,
    segments: a.segments.map((s) => ({
      ...s,
      keys: own(s.keys),
      ats: ownAts(s.ats),
      payload: own(s.payload),
      filter: own(s.filter),
    })),
  };
}

parentPort!.on('message', (req: PrepareRequest) => {
  void (async () => {
    let res: PrepareResponse;
    const transfer: ArrayBuffer[] = [];
    try {
      const hasher = await recordHasher;
      const { byAccount, rejects } = attributeCdrs(unpackCdrs(req.packed), req.target, req.explicit);
      const accounts = [...byAccount].map(([accountId, g]) => ({
        ...exact(prepareAccount(accountId, g.records, hasher), transfer),
        lines: g.lines,
      }));
      res = { id: req.id, ok: true, batch: { accounts, rejects } };
    } catch (err) {
      transfer.length = 0;
      res = { id: req.id, ok: false, error: err instanceof Error ? err.name : 'prepare failed' };
    }
    try {
      parentPort!.postMessage(res, transfer);
    } catch (err) {
      parentPort!.postMessage({
        id: req.id,
        ok: false,
        error: err instanceof Error ? err.name : 'post failed',
      } satisfies PrepareResponse);
    }
  })();
});
