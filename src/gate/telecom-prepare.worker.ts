/**
 * Worker thread of the telecom ingest pool: attribution, normalisation, keyed hashing and payload encoding of
 * CDR batches (telecom-prepare.ts). It holds the two keyed-hash keys of the bulk path, never a data key; nothing
 * it returns is sealed yet.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createKeyedHasher } from '../crypto/keyed-hash.ts';
import { attributeCdrs } from '../telecom/ingest/cdr-attribution.ts';
import { cachedTermHasher, prepareAccount, type TelecomHashers } from './telecom-prepare.ts';
import type { PrepareRequest, PrepareResponse } from './telecom-prepare.pool.ts';

const { recordKey, termKey } = workerData as { recordKey: Uint8Array; termKey: Uint8Array };
const hashers: Promise<TelecomHashers> = (async () => ({
  record: await createKeyedHasher(Buffer.from(recordKey)),
  term: cachedTermHasher(await createKeyedHasher(Buffer.from(termKey))),
}))();

parentPort!.on('message', (req: PrepareRequest) => {
  void (async () => {
    let res: PrepareResponse;
    try {
      const h = await hashers;
      const { byAccount, rejects } = attributeCdrs(req.parsed, req.target, req.explicit);
      const accounts = [...byAccount].map(([accountId, g]) => ({
        ...prepareAccount(accountId, g.records, h),
        lines: g.lines,
      }));
      res = { id: req.id, ok: true, batch: { accounts, rejects } };
    } catch (err) {
      res = { id: req.id, ok: false, error: err instanceof Error ? err.message : 'prepare failed' };
    }
    parentPort!.postMessage(res);
  })();
});
