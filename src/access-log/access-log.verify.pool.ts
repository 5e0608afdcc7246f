/**
 * Access-log verification across worker threads: the chain's seq range is cut into ranges, each worker (with its
 * own read-only connection) checks whole ranges taken from a shared queue, and the outcomes come back in chain
 * order for `joinRanges`. Entries are independent to hash; only the joins between ranges are sequential.
 */
import { Worker } from 'node:worker_threads';
import type { StoreSource } from '../store/store.ts';
import type { RangeContext, RangeOutcome } from './access-log.range-check.ts';

/** What a worker is started with (structured-cloned): the database, the log keys and the range context. */
export interface VerifyWorkerData {
  source: StoreSource;
  logKeys: [number, Uint8Array][];
  epoch: number;
  every: number;
  head: RangeContext['head'];
  checkpoints: [seq: number, hashHex: string, valid: boolean, keyed: boolean][];
}

/** One range to check: entries with `lo < seq <= hi` (hi null: to the end of the chain). */
export interface RangeRequest {
  id: number;
  lo: number;
  hi: number | null;
}

export type RangeResponse =
  { id: number; ok: true; outcome: RangeOutcome } | { id: number; ok: false; error: string };

// From the TypeScript sources the worker goes through a small entry that registers tsx; the build runs .js.
const WORKER_URL = new URL(
  import.meta.url.endsWith('.ts') ? './access-log.verify.worker-tsx.mjs' : './access-log.verify.worker.js',
  import.meta.url,
);

/** Cuts `(0, maxSeq]` into `count` ranges of (nearly) equal size, the last one open-ended. */
export function cutRanges(maxSeq: number, count: number): { lo: number; hi: number | null }[] {
  const n = Math.max(1, Math.min(count, maxSeq));
  const size = Math.ceil(maxSeq / n);
  const out: { lo: number; hi: number | null }[] = [];
  for (let i = 0; i < n; i++) out.push({ lo: i * size, hi: i === n - 1 ? null : (i + 1) * size });
  return out;
}

/**
 * Checks `ranges` on `workers` threads and returns their outcomes in order. A range after one that found a
 * problem is not started (the join stops at the first problem); its outcome is then an empty one.
 */
export async function checkRangesInWorkers(
  data: VerifyWorkerData,
  ranges: { lo: number; hi: number | null }[],
  workers: number,
): Promise<RangeOutcome[]> {
  const outcomes = new Array<RangeOutcome | undefined>(ranges.length);
  let nextRange = 0;
  let firstBroken = Infinity;
  const threads = Array.from(
    { length: Math.max(1, Math.min(workers, ranges.length)) },
    () => new Worker(WORKER_URL, { workerData: data }),
  );
  const run = (worker: Worker): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const fail = (err: Error): void => reject(err);
      const send = (): void => {
        const i = nextRange++;
        if (i >= ranges.length || i > firstBroken) {
          worker.off('error', fail);
          resolve();
          return;
        }
        worker.postMessage({ id: i, ...ranges[i]! } satisfies RangeRequest);
      };
      worker.on('error', fail);
      worker.on('exit', (code) => fail(new Error(`access-log verification worker exited (${code})`)));
      worker.on('message', (res: RangeResponse) => {
        if (!res.ok) {
          reject(new Error(`access-log verification worker failed: ${res.error}`));
          return;
        }
        outcomes[res.id] = res.outcome;
        if (res.outcome.broken && res.id < firstBroken) firstBroken = res.id;
        send();
      });
      send();
    });
  try {
    await Promise.all(threads.map(run));
  } finally {
    await Promise.all(threads.map((t) => t.terminate()));
  }
  return outcomes.map((o) => o ?? { count: 0, first: null, v2: false, last: null, broken: null });
}
