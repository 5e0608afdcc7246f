/**
 * Worker threads for the CPU half of CDR ingestion (attribution, normalisation, keyed hashes, payload encoding),
 * so that on a 2-core machine batch N+1 is prepared while batch N is deduplicated, sealed and written. With no
 * workers configured (SIGILO_INGEST_WORKERS=0) the same code runs in the calling thread.
 */
import { Worker } from 'node:worker_threads';
import { Packr } from 'msgpackr';
import type { Keyring } from '../keys/keyring.ts';
import type { AttributionRuleRow } from '../store/tables/telecom.table.ts';
import { attributeCdrs } from '../telecom/ingest/cdr-attribution.ts';
import type { ParsedCdr } from '../telecom/formats/cdr-record.ts';
import { prepareAccount, telecomHashers, type PreparedAccount } from './telecom-prepare.ts';

/** A prepared batch of CDRs: segments per account, and the records no rule could attribute. */
export interface PreparedCdrBatch {
  accounts: PreparedAccount[];
  rejects: { line: number; reason: string }[];
}

export type CdrTarget = { accountId: string } | { rules: AttributionRuleRow[] };

export interface PrepareRequest {
  id: number;
  /** The batch's ParsedCdr[] as MessagePack (see packCdrs), transferred rather than structured-cloned. */
  packed: Uint8Array;
  target: CdrTarget;
  /** Per record, an account named by the sender (HTTP batches); null: the target decides. */
  explicit?: (string | null)[];
}

export type PrepareResponse =
  { id: number; ok: true; batch: PreparedCdrBatch } | { id: number; ok: false; error: string };

// From the TypeScript sources the worker goes through a small entry that registers tsx; the build runs .js.
const WORKER_URL = new URL(
  import.meta.url.endsWith('.ts') ? './telecom-prepare.worker-tsx.mjs' : './telecom-prepare.worker.js',
  import.meta.url,
);

// Bounds a worker's heap: a 20,000-record batch with its parsed input, encodings and payloads needs ~60 MB.
const WORKER_OLD_SPACE_MB = 192;
// A batch's short-lived objects (parsed input, encodings) outlive a default 16 MB semi-space: each scavenge copied
// them and promoted them to the old space. 48 MB lets most die young (measured: -10% CPU per record).
const WORKER_YOUNG_SPACE_MB = 48;

// MessagePack with record structures: a 20-field CDR costs ~1 µs to pack against ~3.5 µs of structured cloning on
// the thread that also writes to the database.
const batchPackr = new Packr({ useRecords: true, moreTypes: false });

/** A batch of parsed CDRs as one transferable buffer for a worker. */
export function packCdrs(parsed: ParsedCdr[]): Uint8Array {
  // pack() returns a view of msgpackr's reusable buffer: copy it into its own, exactly sized.
  const view = batchPackr.pack(parsed);
  const own = new Uint8Array(new ArrayBuffer(view.byteLength));
  own.set(view);
  return own;
}

export function unpackCdrs(packed: Uint8Array): ParsedCdr[] {
  return batchPackr.unpack(packed) as ParsedCdr[];
}

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (b: PreparedCdrBatch) => void; reject: (e: Error) => void }>;
}

export class TelecomPreparer {
  private readonly slots: (Slot | null)[];
  private seq = 0;

  constructor(
    private readonly keyring: Keyring,
    /** Worker threads; 0 prepares in the calling thread. */
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
    // An idle worker takes the batch; when every worker is busy, this thread prepares it: handing a batch over
    // costs both threads ~2.5 µs a record (encoding here, decoding there), which a batch kept here never pays.
    const i = this.slots.findIndex((s) => s === null || s.pending.size === 0);
    if (i < 0) return this.prepareHere(parsed, target, explicit);
    const slot = (this.slots[i] ??= this.spawn(i));
    const id = ++this.seq;
    return new Promise<PreparedCdrBatch>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      // Keep the process alive only while a batch is in flight.
      slot.worker.ref();
      try {
        const packed = packCdrs(parsed);
        slot.worker.postMessage(
          { id, packed, target, ...(explicit ? { explicit } : {}) } satisfies PrepareRequest,
          [packed.buffer as ArrayBuffer],
        );
      } catch (err) {
        slot.pending.delete(id);
        if (slot.pending.size === 0) slot.worker.unref();
        reject(err instanceof Error ? err : new Error('could not send a batch to an ingest worker'));
      }
    });
  }

  async close(): Promise<void> {
    const live = this.slots.filter((s): s is Slot => s !== null);
    this.slots.fill(null);
    await Promise.all(live.map((s) => s.worker.terminate()));
  }

  private async prepareHere(
    parsed: ParsedCdr[],
    target: CdrTarget,
    explicit?: (string | null)[],
  ): Promise<PreparedCdrBatch> {
    const { record } = await telecomHashers(this.keyring, 'cdr');
    const { byAccount, rejects } = attributeCdrs(parsed, target, explicit);
    return {
      accounts: [...byAccount].map(([accountId, g]) => ({
        ...prepareAccount(accountId, g.records, record),
        lines: g.lines,
      })),
      rejects,
    };
  }

  private spawn(i: number): Slot {
    const worker = new Worker(WORKER_URL, {
      resourceLimits: {
        maxOldGenerationSizeMb: WORKER_OLD_SPACE_MB,
        maxYoungGenerationSizeMb: WORKER_YOUNG_SPACE_MB,
      },
      workerData: { recordKey: this.keyring.keyedHashKey('telecom-record/cdr') },
    });
    const slot: Slot = { worker, pending: new Map() };
    worker.unref();
    worker.on('message', (res: PrepareResponse) => {
      const p = slot.pending.get(res.id);
      if (!p) return;
      slot.pending.delete(res.id);
      if (slot.pending.size === 0) worker.unref();
      // The worker's own message may quote input; it is not passed on (unknown errors become a generic 500).
      if (res.ok) p.resolve(res.batch);
      else p.reject(new Error('telecom preparation failed in a worker thread'));
    });
    const fail = (err: Error): void => {
      if (this.slots[i] === slot) this.slots[i] = null; // a new worker is started for the next batch
      for (const p of slot.pending.values()) p.reject(err);
      slot.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`telecom preparation worker exited (${code})`)));
    return slot;
  }
}
