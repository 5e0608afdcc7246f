/**
 * Worker thread of access-log verification: opens its own read-only connection to the database, and for each
 * range it is sent reads the entries and checks them (links recomputed under the log keys it was started with).
 * It holds the access-log MAC keys and nothing else; it never writes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { LinkHasher } from './access-log.link-hasher.ts';
import { linkV2Hashers } from './access-log.link-v2.ts';
import { RangeChecker } from './access-log.range-check.ts';
import { readPostgresRange, readSqliteRange } from './access-log.row-reader.ts';
import type { RangeRequest, RangeResponse, VerifyWorkerData } from './access-log.verify.pool.ts';

const data = workerData as VerifyWorkerData;
const keys = new Map(data.logKeys.map(([v, k]) => [v, Buffer.from(k)]));
const logKey = (v: number): Buffer | null => keys.get(v) ?? null;
const v2 = linkV2Hashers(logKey, keys.keys());
const ctx = {
  epoch: data.epoch,
  every: data.every,
  head: data.head,
  checkpoints: new Map(
    data.checkpoints.map(([seq, hashHex, valid, keyed]) => [seq, { hashHex, valid, keyed }]),
  ),
};

type Reader = (lo: number, hi: number | null, checker: RangeChecker) => Promise<void>;

const reader: Promise<Reader> = (async () => {
  if (data.source.dialect === 'sqlite') {
    const db = new SqliteDatabase(data.source.file, { readonly: true, fileMustExist: true });
    return (lo, hi, checker) => {
      readSqliteRange(db, lo, hi, (rows) => checker.feed(rows));
      return Promise.resolve();
    };
  }
  const client = new pg.Client(data.source.client);
  await client.connect();
  return (lo, hi, checker) => readPostgresRange(client, lo, hi, (rows) => checker.feed(rows));
})();

parentPort!.on('message', (req: RangeRequest) => {
  void (async () => {
    let res: RangeResponse;
    try {
      const read = await reader;
      const checker = new RangeChecker(ctx, new LinkHasher(logKey, await v2));
      await read(req.lo, req.hi, checker);
      res = { id: req.id, ok: true, outcome: checker.result() };
    } catch (err) {
      // The message only: no row content is ever part of an error raised while reading or hashing.
      res = {
        id: req.id,
        ok: false,
        error: err instanceof Error ? err.message : 'verification worker failed',
      };
    }
    parentPort!.postMessage(res);
  })();
});
