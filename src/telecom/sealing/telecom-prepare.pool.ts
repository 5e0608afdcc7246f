/**
 * CDR batches for storage: attribution, normalisation and segment encoding in the calling thread, and the keyed
 * hashes (natural keys, and the numbers, usernames and IPs of the blind-index filters) on a worker thread
 * meanwhile. The worker is sent the segments' MessagePack payloads, which the calling thread encodes anyway, and
 * reads keys and terms from their bytes: a batch costs one copy of bytes to send, where a record sent on its own
 * would cost more to send than to prepare. With no workers configured (SIGILO_INGEST_WORKERS=0) the calling thread
 * hashes too.
 */
import { Worker } from 'node:worker_threads';
import type { Keyring } from '../../keys/keyring.ts';
import type { Attributor } from '../attribution/attribution.ts';
import { attributeCdrs } from '../ingest/cdr-attribution.ts';
import type { ParsedCdr } from '../formats/cdr-record.ts';
import type { StorableRecord } from '../records/telecom-record.ts';
import {
  hashHere,
  prepareAccounts,
  telecomHashers,
  type BatchHashing,
  type PreparedAccount,
  type SegmentHashes,
} from './telecom-prepare.ts';

/** A prepared batch of CDRs: segments per account, and the records no rule could attribute. */
export interface PreparedCdrBatch {
  accounts: PreparedAccount[];
  rejects: { line: number; reason: string }[];
}

export type CdrTarget = { accountId: string } | { attributor: Attributor };

/** One account's attributed records and their source lines. */
export interface AttributedGroup {
  accountId: string;
  records: StorableRecord[];
  lines: number[];
}

export interface HashRequest {
  id: number;
  /** The segments' MessagePack payloads, back to back (transferred). */
  payloads: Uint8Array;
  /** Where each segment's payload ends in `payloads`. */
  ends: Uint32Array;
}

export type HashResponse =
  { id: number; ok: true; segments: SegmentHashes[] } | { id: number; ok: false; error: string };

/** What a worker is started with: the kind it hashes and its two keyed-hash keys (never a data key). */
export interface HashWorkerData {
  kind: 'cdr';
  recordKey: Uint8Array;
  termKey: Uint8Array;
}

// From the TypeScript sources the worker goes through a small entry that registers tsx; the build runs .js.
const WORKER_URL = new URL(
  import.meta.url.endsWith('.ts') ? './telecom-prepare.worker-tsx.mjs' : './telecom-prepare.worker.js',
  import.meta.url,
);

// A hashing worker holds one batch at a time: its payloads (5,000 records: ~1.3 MB) and their hashes, next to
// ~13 MB of its own code. With a 32 MB limit it ran a full mark-compact on every batch (--trace-gc) and P1 fell
// from about 185,000 to 130,000-150,000 records/s; 64 MB leaves it room.
const WORKER_OLD_SPACE_MB = 64;

/** The segments' payloads copied back to back into one transferable buffer. */
function packPayloads(payloads: Uint8Array[]): { payloads: Uint8Array; ends: Uint32Array } {
  const ends = new Uint32Array(payloads.length);
  let total = 0;
  for (let i = 0; i < payloads.length; i++) ends[i] = total += payloads[i]!.length;
  const out = new Uint8Array(total);
  for (let i = 0; i < payloads.length; i++) out.set(payloads[i]!, i === 0 ? 0 : ends[i - 1]!);
  return { payloads: out, ends };
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (h: SegmentHashes[]) => void; reject: (e: Error) => void }>;
}

export class TelecomPreparer {
  private readonly slots: (Slot | null)[];
  private seq = 0;

  constructor(
    private readonly keyring: Keyring,
    /** Worker threads computing keyed hashes; 0 hashes in the calling thread. */
    readonly workers: number,
  ) {
    this.slots = new Array<Slot | null>(Math.max(0, workers)).fill(null);
  }

  /** Prepares one batch of parsed CDRs for `storePreparedTelecom`. */
  async prepareCdrs(
    parsed: ParsedCdr[],
    target: CdrTarget,
    explicit?: (string | null)[],
  ): Promise<PreparedCdrBatch> {
    const { byAccount, rejects } = attributeCdrs(parsed, target, explicit);
    const groups = [...byAccount].map(([accountId, g]) => ({
      accountId,
      records: g.records,
      lines: g.lines,
    }));
    return { ...(await this.prepareGroups(groups)), rejects };
  }

  /** Prepares records already attributed and normalised (attributeCdrs), per account, for storage. */
  async prepareGroups(groups: AttributedGroup[]): Promise<PreparedCdrBatch> {
    const hashing = this.slots.length
      ? this.hashOnWorker
      : hashHere('cdr', await telecomHashers(this.keyring, 'cdr'));
    const prepared = await prepareAccounts(groups, hashing);
    return { accounts: prepared.map((p, i) => ({ ...p, lines: groups[i]!.lines })), rejects: [] };
  }

  async close(): Promise<void> {
    const live = this.slots.filter((s): s is Slot => s !== null);
    this.slots.fill(null);
    await Promise.all(live.map((s) => s.worker.terminate()));
  }

  /** Hashes on the least busy worker. */
  private readonly hashOnWorker: BatchHashing = (segments) => {
    let i = 0;
    for (let j = 1; j < this.slots.length; j++)
      if ((this.slots[j]?.pending.size ?? 0) < (this.slots[i]?.pending.size ?? 0)) i = j;
    const slot = (this.slots[i] ??= this.spawn(i));
    const id = ++this.seq;
    return new Promise<SegmentHashes[]>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      // Keep the process alive only while a batch is in flight.
      slot.worker.ref();
      try {
        const { payloads, ends } = packPayloads(segments.map((seg) => seg.payload));
        slot.worker.postMessage({ id, payloads, ends } satisfies HashRequest, [
          payloads.buffer as ArrayBuffer,
          ends.buffer as ArrayBuffer,
        ]);
      } catch (err) {
        slot.pending.delete(id);
        if (slot.pending.size === 0) slot.worker.unref();
        reject(err instanceof Error ? err : new Error('could not send a batch to an ingest worker'));
      }
    });
  };

  private spawn(i: number): Slot {
    const worker = new Worker(WORKER_URL, {
      resourceLimits: { maxOldGenerationSizeMb: WORKER_OLD_SPACE_MB },
      workerData: {
        kind: 'cdr',
        recordKey: this.keyring.keyedHashKey('telecom-record/cdr'),
        termKey: this.keyring.keyedHashKey('telecom-term'),
      } satisfies HashWorkerData,
    });
    const slot: Slot = { worker, pending: new Map() };
    worker.unref();
    worker.on('message', (res: HashResponse) => {
      const p = slot.pending.get(res.id);
      if (!p) return;
      slot.pending.delete(res.id);
      if (slot.pending.size === 0) worker.unref();
      // Structured cloning made the worker's Buffers plain Uint8Arrays: Buffers again (no copy), as hashing in
      // this thread gives them. Each segment's hashes are checked against its records where they are used.
      if (res.ok)
        p.resolve(
          res.segments.map((h) => ({
            keys: asBuffer(h.keys),
            filter: asBuffer(h.filter),
            terms: asBuffer(h.terms),
          })),
        );
      else p.reject(new Error('keyed hashing failed in a worker thread'));
    });
    const fail = (err: Error): void => {
      if (this.slots[i] === slot) this.slots[i] = null; // a new worker is started for the next batch
      for (const p of slot.pending.values()) p.reject(err);
      slot.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`telecom ingest worker exited (${code})`)));
    return slot;
  }
}
