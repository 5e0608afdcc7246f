/**
 * Worker thread of the telecom ingest pool: attribution, normalisation, keyed hashing and payload encoding of
 * CDR batches (telecom-prepare.ts). It holds the two keyed-hash keys of the bulk path, never a data key; nothing
 * it returns is sealed yet.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createKeyedHasher } from '../crypto/keyed-hash.ts';
import { attributeCdrs } from '../telecom/ingest/cdr-attribution.ts';
import {
  cachedTermHasher,
  prepareAccount,
  type PreparedAccount,
  type TelecomHashers,
} from './telecom-prepare.ts';
import type { PrepareRequest, PrepareResponse } from './telecom-prepare.pool.ts';

const { recordKey, termKey } = workerData as { recordKey: Uint8Array; termKey: Uint8Array };
const hashers: Promise<TelecomHashers> = (async () => ({
  record: await createKeyedHasher(Buffer.from(recordKey)),
  term: cachedTermHasher(await createKeyedHasher(Buffer.from(termKey))),
}))();

/**
 * Copies every array into its own exact-size buffer: structured cloning copies a view's whole backing buffer, and
 * msgpackr's output and small Buffers share larger slabs (earlier batches' plaintext among them).
 */
function exact(a: PreparedAccount): PreparedAccount {
  return {
    ...a,
    segments: a.segments.map((s) => ({
      ...s,
      keys: new Uint8Array(s.keys),
      ats: new Float64Array(s.ats),
      payload: new Uint8Array(s.payload),
      terms: new Uint8Array(s.terms),
      termEnds: new Uint32Array(s.termEnds),
      filter: new Uint8Array(s.filter),
    })),
  };
}

parentPort!.on('message', (req: PrepareRequest) => {
  void (async () => {
    let res: PrepareResponse;
    try {
      const h = await hashers;
      const { byAccount, rejects } = attributeCdrs(req.parsed, req.target, req.explicit);
      const accounts = [...byAccount].map(([accountId, g]) => ({
        ...exact(prepareAccount(accountId, g.records, h)),
        lines: g.lines,
      }));
      res = { id: req.id, ok: true, batch: { accounts, rejects } };
    } catch (err) {
      res = { id: req.id, ok: false, error: err instanceof Error ? err.name : 'prepare failed' };
    }
    parentPort!.postMessage(res);
  })();
});
