/**
 * CDR batches for storage: attribution, normalisation and segment encoding in the calling thread, and the keyed
 * hashes (natural keys, and the numbers, usernames and IPs of the blind-index filters) on a worker thread
 * meanwhile: hashing needs nothing but those strings, while a whole record costs more to send to a worker than to
 * prepare. With no workers configured (SIGILO_INGEST_WORKERS=0) the calling thread hashes too.
 */
import { Worker } from 'node:worker_threads';
import type { Keyring } from '../keys/keyring.ts';
import type { AttributionRuleRow } from '../store/tables/telecom.table.ts';
import { attributeCdrs } from '../telecom/ingest/cdr-attribution.ts';
import type { ParsedCdr } from '../telecom/formats/cdr-record.ts';
import type { Term } from '../telecom/records/telecom-record.ts';
import {
  hashHere,
  prepareAccounts,
  RECORD_KEY_BYTES,
  telecomHashers,
  TERM_BYTES,
  termId,
  type BatchHashes,
  type BatchHashing,
  type PreparedAccount,
} from './telecom-prepare.ts';

/** A prepared batch of CDRs: segments per account, and the records no rule could attribute. */
export interface PreparedCdrBatch {
  accounts: PreparedAccount[];
  rejects: { line: number; reason: string }[];
}

export type CdrTarget = { accountId: string } | { rules: AttributionRuleRow[] };

export interface HashRequest {
  id: number;
  /** The natural keys, then the term ids, each as a u32 LE byte length and its UTF-8 bytes (transferred). */
  encoded: Uint8Array;
  keys: number;
  terms: number;
}

export type HashResponse =
  { id: number; ok: true; keys: Uint8Array; terms: Uint8Array } | { id: number; ok: false; error: string };

// From the TypeScript sources the worker goes through a small entry that registers tsx; the build runs .js.
const WORKER_URL = new URL(
  import.meta.url.endsWith('.ts') ? './telecom-prepare.worker-tsx.mjs' : './telecom-prepare.worker.js',
  import.meta.url,
);

// A hashing worker holds one batch of keys and terms at a time (5,000 records: ~1 MB).
const WORKER_OLD_SPACE_MB = 32;

/**
 * Natural keys, then terms (as `termId` would write them: kind, NUL, value), as one buffer of length-prefixed
 * UTF-8 (see HashRequest): written field by field, with no string built per term.
 */
function encodeBatch(naturalKeys: string[], terms: Term[]): Uint8Array {
  let bound = 0;
  for (const k of naturalKeys) bound += 4 + k.length * 3;
  for (const t of terms) bound += 4 + KIND_PREFIX[t.kind].length + t.value.length * 3;
  const buf = Buffer.allocUnsafeSlow(bound) as Buffer & Utf8Writer;
  let o = 0;
  for (const k of naturalKeys) {
    const n = buf.utf8Write(k, o + 4);
    buf.writeUInt32LE(n, o);
    o += 4 + n;
  }
  for (const t of terms) {
    const prefix = KIND_PREFIX[t.kind];
    buf.set(prefix, o + 4);
    const n = prefix.length + buf.utf8Write(t.value, o + 4 + prefix.length);
    buf.writeUInt32LE(n, o);
    o += 4 + n;
  }
  return new Uint8Array(buf.buffer, 0, o);
}

/** Node's own UTF-8 writer on Buffer (what Buffer#write calls, without its argument handling). */
interface Utf8Writer {
  utf8Write(s: string, offset: number): number;
}

// What termId writes before a term's value, per kind (the bytes hashed must be exactly termId's).
const KIND_PREFIX: Record<Term['kind'], Buffer> = {
  number: Buffer.from(termId({ kind: 'number', value: '' })),
  username: Buffer.from(termId({ kind: 'username', value: '' })),
  ip: Buffer.from(termId({ kind: 'ip', value: '' })),
};

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (h: BatchHashes) => void; reject: (e: Error) => void }>;
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
    const hashing = this.slots.length
      ? this.hashOnWorker
      : hashHere(await telecomHashers(this.keyring, 'cdr'));
    const { byAccount, rejects } = attributeCdrs(parsed, target, explicit);
    const groups = [...byAccount].map(([accountId, g]) => ({
      accountId,
      records: g.records,
      lines: g.lines,
    }));
    const prepared = await prepareAccounts(groups, hashing);
    return { accounts: prepared.map((p, i) => ({ ...p, lines: groups[i]!.lines })), rejects };
  }

  async close(): Promise<void> {
    const live = this.slots.filter((s): s is Slot => s !== null);
    this.slots.fill(null);
    await Promise.all(live.map((s) => s.worker.terminate()));
  }

  /** Hashes on the least busy worker. */
  private readonly hashOnWorker: BatchHashing = (naturalKeys, terms) => {
    let i = 0;
    for (let j = 1; j < this.slots.length; j++)
      if ((this.slots[j]?.pending.size ?? 0) < (this.slots[i]?.pending.size ?? 0)) i = j;
    const slot = (this.slots[i] ??= this.spawn(i));
    const id = ++this.seq;
    return new Promise<BatchHashes>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      // Keep the process alive only while a batch is in flight.
      slot.worker.ref();
      try {
        const encoded = encodeBatch(naturalKeys, terms);
        slot.worker.postMessage(
          { id, encoded, keys: naturalKeys.length, terms: terms.length } satisfies HashRequest,
          [encoded.buffer as ArrayBuffer],
        );
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
        recordKey: this.keyring.keyedHashKey('telecom-record/cdr'),
        termKey: this.keyring.keyedHashKey('telecom-term'),
      },
    });
    const slot: Slot = { worker, pending: new Map() };
    worker.unref();
    worker.on('message', (res: HashResponse) => {
      const p = slot.pending.get(res.id);
      if (!p) return;
      slot.pending.delete(res.id);
      if (slot.pending.size === 0) worker.unref();
      if (res.ok && res.keys.length % RECORD_KEY_BYTES === 0 && res.terms.length % TERM_BYTES === 0)
        p.resolve({ keys: res.keys, terms: res.terms });
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
