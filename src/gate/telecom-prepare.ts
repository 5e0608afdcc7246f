/**
 * Preparation of telecom records for storage, before any transaction: natural-key hashes, the Bloom filter of
 * the records' terms, and the segment payload (MessagePack), per account, UTC day and segment of up to
 * SEGMENT_MAX records. Pure CPU work with no database and no data key, so it runs on worker threads (telecom-prepare.pool.ts)
 * while the previous batch is being written; the gate then only dedupes against stored keys, seals and inserts.
 */
import { Packr } from 'msgpackr';
import type { KeyedHasher } from '../crypto/keyed-hash.ts';
import type { Keyring } from '../keys/keyring.ts';
import { KeySet } from '../telecom/records/key-set.ts';
import type { StorableRecord, TelecomKind, Term } from '../telecom/records/telecom-record.ts';
import { TermFilterBuilder } from '../telecom/records/term-filter.ts';

/** Most records sealed together; bounds the memory of one segment when it is read back. */
export const SEGMENT_MAX = 2000;
export const RECORD_KEY_BYTES = 16;

/** Plain arrays of strings, numbers and nulls; nothing msgpackr-specific (records, bundles) in stored bytes. */
const packr = new Packr({ useRecords: false, moreTypes: false, bundleStrings: false });

/** Segment payload: the records' compact encodings as one MessagePack array. */
export function encodePayload(encoded: unknown[]): Buffer {
  return packr.pack(encoded);
}

/**
 * The records of a segment payload. Segments sealed before 2026-11-26T1800 hold JSON, which always starts with
 * '[' (0x5b); a MessagePack array starts with 0x90–0x9f, 0xdc or 0xdd.
 */
export function decodePayload(bytes: Buffer): unknown[][] {
  if (bytes[0] === 0x5b) return JSON.parse(bytes.toString('utf8')) as unknown[][];
  return packr.unpack(bytes) as unknown[][];
}

/** A segment ready to be deduplicated against stored keys, sealed and inserted. */
export interface PreparedSegment {
  day: string;
  count: number;
  /** 16-byte natural-key hash per record. */
  keys: Uint8Array;
  /** Epoch milliseconds per record. */
  ats: Float64Array;
  /** MessagePack array of the records' encodings (plaintext: sealed by the gate inside the transaction). */
  payload: Uint8Array;
  /** Format-2 Bloom filter of the records' terms (plaintext: sealed by the gate with the payload). */
  filter: Uint8Array;
}

export interface PreparedAccount {
  accountId: string;
  segments: PreparedSegment[];
  /** Records skipped because the same natural key came earlier in this batch. */
  duplicates: number;
  /** Source lines of the account's records (for the error report should the account be gone). */
  lines?: number[];
}

/** The keyed hashers of telecom records. */
export interface TelecomHashers {
  /** Natural key → 16 bytes (per kind; the account is implied by the key group). */
  record: KeyedHasher;
  /** Term → its 16-byte keyed hash: only to test the clear filters of segments stored before 2026-11-26T1900. */
  term: (t: Term) => Buffer;
}

/** The hashers of `kind` under this key ring. */
export async function telecomHashers(keyring: Keyring, kind: TelecomKind): Promise<TelecomHashers> {
  const [record, term] = await Promise.all([
    keyring.keyedHasher(`telecom-record/${kind}`),
    keyring.keyedHasher('telecom-term'),
  ]);
  return { record, term: (t) => term.hash(`${t.kind}\u0000${t.value}`) };
}

const dayNames = new Map<number, string>();
/** UTC day of an instant, cached per day number (toISOString per record showed up in profiles). */
export function dayOf(ms: number): string {
  const n = Math.floor(ms / 86_400_000);
  let name = dayNames.get(n);
  if (name === undefined) {
    name = new Date(n * 86_400_000).toISOString().slice(0, 10);
    if (dayNames.size > 10_000) dayNames.clear();
    dayNames.set(n, name);
  }
  return name;
}

/** Computes the 16-byte natural-key hashes of many records at once (in this thread or on a worker). */
export type KeyHashing = (naturalKeys: string[]) => Uint8Array | Promise<Uint8Array>;

/** Natural-key hashing in the calling thread. */
export function hashHere(recordHasher: KeyedHasher): KeyHashing {
  return (naturalKeys) => {
    const out = new Uint8Array(naturalKeys.length * RECORD_KEY_BYTES);
    for (let i = 0; i < naturalKeys.length; i++)
      out.set(recordHasher.hash(naturalKeys[i]!), i * RECORD_KEY_BYTES);
    return out;
  };
}

/** Splits one account's records by UTC day into prepared segments, dropping repeats within the batch. */
export function prepareAccount(
  accountId: string,
  records: StorableRecord[],
  recordHasher: KeyedHasher,
): PreparedAccount {
  const draft = draftAccounts([{ accountId, records }]);
  return completeAccounts(draft, hashHere(recordHasher)(draft.naturalKeys) as Uint8Array)[0]!;
}

/**
 * Prepares several accounts' records. The natural keys are hashed by `hashing` (a worker, for bulk imports)
 * while this thread builds and encodes the segments: the hash is the one per-record step that needs nothing but
 * the key, so it is the one worth sending away (a whole record costs more to send than to prepare).
 */
export async function prepareAccounts(
  accounts: { accountId: string; records: StorableRecord[] }[],
  hashing: KeyHashing,
): Promise<PreparedAccount[]> {
  const naturalKeys: string[] = [];
  for (const a of accounts) for (const r of a.records) naturalKeys.push(r.naturalKey);
  const keys = hashing(naturalKeys); // started before the segments are built
  const draft = draftAccounts(accounts);
  return completeAccounts(draft, await keys);
}

/** Segments built and encoded before their keys are known; `first` is each segment's index in key order. */
interface Draft {
  naturalKeys: string[];
  accounts: { accountId: string; segments: { seg: PreparedSegment; order: Uint32Array }[] }[];
}

function draftAccounts(accounts: { accountId: string; records: StorableRecord[] }[]): Draft {
  const naturalKeys: string[] = [];
  const out: Draft['accounts'] = [];
  for (const { accountId, records } of accounts) {
    const byDay = new Map<string, number[]>();
    for (let i = 0; i < records.length; i++) {
      const day = dayOf(records[i]!.at);
      let list = byDay.get(day);
      if (!list) byDay.set(day, (list = []));
      list.push(naturalKeys.length + i);
    }
    const base = naturalKeys.length;
    for (const r of records) naturalKeys.push(r.naturalKey);
    const segments: { seg: PreparedSegment; order: Uint32Array }[] = [];
    for (const [day, indexes] of byDay) {
      for (let from = 0; from < indexes.length; from += SEGMENT_MAX) {
        const part = indexes.slice(from, from + SEGMENT_MAX);
        const seg = new SegmentBuilder(day, part.length);
        for (const k of part) seg.add(records[k - base]!);
        segments.push({ seg: seg.build(), order: Uint32Array.from(part) });
      }
    }
    out.push({ accountId, segments });
  }
  return { naturalKeys, accounts: out };
}

/** Fills in each segment's keys and drops records whose key came earlier in the batch (same account and day). */
function completeAccounts(draft: Draft, hashed: Uint8Array): PreparedAccount[] {
  const keys = Buffer.from(hashed.buffer, hashed.byteOffset, hashed.byteLength);
  return draft.accounts.map(({ accountId, segments }) => {
    const seenByDay = new Map<string, KeySet>();
    let duplicates = 0;
    const done: PreparedSegment[] = [];
    for (const { seg, order } of segments) {
      let seen = seenByDay.get(seg.day);
      if (!seen) seenByDay.set(seg.day, (seen = new KeySet(order.length)));
      const segKeys = Buffer.allocUnsafeSlow(order.length * RECORD_KEY_BYTES);
      let keep: boolean[] | null = null;
      for (let i = 0; i < order.length; i++) {
        const o = order[i]! * RECORD_KEY_BYTES;
        keys.copy(segKeys, i * RECORD_KEY_BYTES, o, o + RECORD_KEY_BYTES);
        if (!seen.add(keys, o)) {
          keep ??= new Array<boolean>(order.length).fill(true);
          keep[i] = false;
          duplicates++;
        }
      }
      const full = { ...seg, keys: segKeys };
      if (!keep) done.push(full);
      else if (keep.some(Boolean)) done.push(keepRecords(full, keep));
    }
    return { accountId, segments: done, duplicates };
  });
}

/** Accumulates one segment's records into flat arrays (no per-term objects kept); keys come later. */
class SegmentBuilder {
  count = 0;
  private readonly ats: Float64Array;
  private readonly encoded: unknown[] = [];
  private readonly filter: TermFilterBuilder;

  constructor(
    private readonly day: string,
    capacity: number,
  ) {
    this.ats = new Float64Array(capacity);
    this.filter = new TermFilterBuilder(capacity * 3);
  }

  add(rec: StorableRecord): void {
    this.ats[this.count] = rec.at;
    this.encoded.push(rec.encoded);
    for (const t of rec.terms) this.filter.add(t.kind, t.value);
    this.count++;
  }

  build(): PreparedSegment {
    const n = this.count;
    return {
      day: this.day,
      count: n,
      keys: new Uint8Array(0),
      ats: this.ats.subarray(0, n),
      payload: encodePayload(this.encoded),
      filter: this.filter.build(),
    };
  }
}

/**
 * The part of a prepared segment whose records are flagged in `keep` (some were already stored): payload
 * re-encoded, keys and instants of the kept records only. The filter stays: a dropped record is already stored in
 * the same account and day, so its terms only make the filter answer "maybe" where that day holds them anyway.
 */
export function keepRecords(seg: PreparedSegment, keep: boolean[]): PreparedSegment {
  const all = decodePayload(Buffer.from(seg.payload.buffer, seg.payload.byteOffset, seg.payload.byteLength));
  const encoded: unknown[] = [];
  const keys: Uint8Array[] = [];
  const ats: number[] = [];
  for (let i = 0; i < seg.count; i++) {
    if (!keep[i]) continue;
    encoded.push(all[i]);
    keys.push(seg.keys.subarray(i * RECORD_KEY_BYTES, (i + 1) * RECORD_KEY_BYTES));
    ats.push(seg.ats[i]!);
  }
  return {
    day: seg.day,
    count: encoded.length,
    keys: Buffer.concat(keys),
    ats: Float64Array.from(ats),
    payload: encodePayload(encoded),
    filter: seg.filter,
  };
}
