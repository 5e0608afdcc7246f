/**
 * Preparation of telecom records for storage, before any transaction: natural-key hashes, the Bloom filter of
 * the records' terms, and the segment payload (MessagePack), per account, UTC day and segment of up to
 * SEGMENT_MAX records. Pure CPU work with no database and no data key; the keyed hashes of a bulk batch are computed
 * on a worker thread meanwhile (telecom-prepare.pool.ts). The gate then only dedupes against stored keys, seals and
 * inserts.
 */
import { Packr } from 'msgpackr';
import { KEYED_HASH_BYTES, type KeyedHasher } from '../crypto/keyed-hash.ts';
import type { Keyring } from '../keys/keyring.ts';
import { KeySet } from '../telecom/records/key-set.ts';
import type { StorableRecord, TelecomKind, Term } from '../telecom/records/telecom-record.ts';
import { buildTermFilter } from '../telecom/records/term-filter.ts';

/** Most records sealed together; bounds the memory of one segment when it is read back. */
export const SEGMENT_MAX = 2000;
export const RECORD_KEY_BYTES = KEYED_HASH_BYTES;
export const TERM_BYTES = KEYED_HASH_BYTES;
const TERM_CACHE_LIMIT = 50_000;

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
  /** Bloom filter of the keyed hashes of the records' terms (a blind index, stored in clear). */
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
  /** Term (`termId`) → its 16-byte keyed hash, the same Buffer for the same term while cached. */
  term: (id: string) => Buffer;
}

/** The text a term's keyed hash is taken over (kind and value: a number is not the IP with the same text). */
export function termId(t: Term): string {
  return `${t.kind}\u0000${t.value}`;
}

/** Wraps a keyed hasher of terms with a cache: CDRs repeat trunks, DIDs and frequent callees all day. */
function cachedTermHasher(hasher: KeyedHasher): (id: string) => Buffer {
  const cache = new Map<string, Buffer>();
  return (id) => {
    let b = cache.get(id);
    if (!b) {
      b = hasher.hash(id);
      if (cache.size >= TERM_CACHE_LIMIT) cache.clear();
      cache.set(id, b);
    }
    return b;
  };
}

// One cached term hasher per key ring (per Sigilo instance): the cache outlives a batch.
const termHashers = new WeakMap<Keyring, Promise<(id: string) => Buffer>>();

/** The hashers of `kind` under this key ring, for preparation in this thread and for queries. */
export async function telecomHashers(keyring: Keyring, kind: TelecomKind): Promise<TelecomHashers> {
  let term = termHashers.get(keyring);
  if (!term) {
    term = keyring.keyedHasher('telecom-term').then(cachedTermHasher);
    termHashers.set(keyring, term);
  }
  return { record: await keyring.keyedHasher(`telecom-record/${kind}`), term: await term };
}

const dayNames = new Map<number, string>();
/** UTC day of an instant, cached per day number (toISOString per record showed up in profiles). */
function dayOf(ms: number): string {
  const n = Math.floor(ms / 86_400_000);
  let name = dayNames.get(n);
  if (name === undefined) {
    name = new Date(n * 86_400_000).toISOString().slice(0, 10);
    if (dayNames.size > 10_000) dayNames.clear();
    dayNames.set(n, name);
  }
  return name;
}

/** The keyed hashes of a batch: 16 bytes per natural key, 16 bytes per term, in the order given. */
export interface BatchHashes {
  keys: Uint8Array;
  terms: Uint8Array;
}

/** Computes a batch's keyed hashes at once (in this thread, or on a worker while this thread builds segments). */
export type BatchHashing = (naturalKeys: string[], terms: Term[]) => BatchHashes | Promise<BatchHashes>;

/** Batch hashing in the calling thread. */
export function hashHere(hashers: TelecomHashers): BatchHashing {
  return (naturalKeys, termList) => {
    const keys = new Uint8Array(naturalKeys.length * RECORD_KEY_BYTES);
    for (let i = 0; i < naturalKeys.length; i++)
      keys.set(hashers.record.hash(naturalKeys[i]!), i * RECORD_KEY_BYTES);
    const terms = new Uint8Array(termList.length * TERM_BYTES);
    for (let i = 0; i < termList.length; i++) terms.set(hashers.term(termId(termList[i]!)), i * TERM_BYTES);
    return { keys, terms };
  };
}

/** Splits one account's records by UTC day into prepared segments, dropping repeats within the batch. */
export function prepareAccount(
  accountId: string,
  records: StorableRecord[],
  hashers: TelecomHashers,
): PreparedAccount {
  const draft = draftAccounts([{ accountId, records }]);
  return completeAccounts(draft, hashes(draft, hashHere(hashers)) as BatchHashes)[0]!;
}

/**
 * Prepares several accounts' records. The keyed hashes (natural keys, and terms for the filters) are computed by
 * `hashing` (a worker, for bulk imports) while this thread builds and encodes the segments: hashing needs nothing
 * but the keys and terms, so it is the part worth sending away (a whole record costs more to send than to prepare).
 */
export async function prepareAccounts(
  accounts: { accountId: string; records: StorableRecord[] }[],
  hashing: BatchHashing,
): Promise<PreparedAccount[]> {
  const draft = draftAccounts(accounts);
  return completeAccounts(draft, await hashes(draft, hashing));
}

/** Starts hashing a draft's keys and terms, and encodes the segments' payloads meanwhile. */
function hashes(draft: Draft, hashing: BatchHashing): BatchHashes | Promise<BatchHashes> {
  const h = hashing(draft.naturalKeys, draft.terms);
  // Should encoding throw below, this promise is dropped: its own failure (a worker stopped meanwhile) must not
  // surface as an unhandled rejection. The caller still awaits it otherwise.
  if (h instanceof Promise) h.catch(() => undefined);
  for (const a of draft.accounts) for (const s of a.segments) s.payload = encodePayload(s.encoded);
  return h;
}

/** A segment's records, grouped before their hashes are known. */
interface DraftSegment {
  day: string;
  ats: Float64Array;
  /** The records' encodings; `payload` once hashing has started. */
  encoded: unknown[];
  payload: Uint8Array | null;
  /** Each record's index in the batch (its natural key's position). */
  order: Uint32Array;
  /** The positions of the segment's records' terms in the batch's term list. */
  terms: Uint32Array;
}

interface Draft {
  naturalKeys: string[];
  terms: Term[];
  accounts: { accountId: string; segments: DraftSegment[] }[];
}

function draftAccounts(accounts: { accountId: string; records: StorableRecord[] }[]): Draft {
  const naturalKeys: string[] = [];
  const terms: Term[] = [];
  const out: Draft['accounts'] = [];
  for (const { accountId, records } of accounts) {
    const base = naturalKeys.length;
    const termStart = new Uint32Array(records.length + 1);
    const byDay = new Map<string, number[]>();
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      naturalKeys.push(r.naturalKey);
      termStart[i] = terms.length;
      for (const t of r.terms) terms.push(t);
      const day = dayOf(r.at);
      let list = byDay.get(day);
      if (!list) byDay.set(day, (list = []));
      list.push(i);
    }
    termStart[records.length] = terms.length;
    const segments: DraftSegment[] = [];
    for (const [day, indexes] of byDay) {
      for (let from = 0; from < indexes.length; from += SEGMENT_MAX) {
        const n = Math.min(SEGMENT_MAX, indexes.length - from);
        const ats = new Float64Array(n);
        const encoded = new Array<unknown>(n);
        const order = new Uint32Array(n);
        const segTerms: number[] = [];
        for (let j = 0; j < n; j++) {
          const i = indexes[from + j]!;
          const r = records[i]!;
          ats[j] = r.at;
          encoded[j] = r.encoded;
          order[j] = base + i;
          for (let t = termStart[i]!; t < termStart[i + 1]!; t++) segTerms.push(t);
        }
        segments.push({ day, ats, encoded, payload: null, order, terms: Uint32Array.from(segTerms) });
      }
    }
    out.push({ accountId, segments });
  }
  return { naturalKeys, terms, accounts: out };
}

/**
 * Fills in each segment's keys and filter, and drops records whose key came earlier in the batch (same account
 * and day).
 */
function completeAccounts(draft: Draft, hashes: BatchHashes): PreparedAccount[] {
  const keys = Buffer.from(hashes.keys.buffer, hashes.keys.byteOffset, hashes.keys.byteLength);
  return draft.accounts.map(({ accountId, segments }) => {
    const seenByDay = new Map<string, KeySet>();
    let duplicates = 0;
    const done: PreparedSegment[] = [];
    for (const d of segments) {
      let seen = seenByDay.get(d.day);
      if (!seen) seenByDay.set(d.day, (seen = new KeySet(d.order.length)));
      const segKeys = Buffer.allocUnsafeSlow(d.order.length * RECORD_KEY_BYTES);
      let keep: boolean[] | null = null;
      for (let i = 0; i < d.order.length; i++) {
        const o = d.order[i]! * RECORD_KEY_BYTES;
        keys.copy(segKeys, i * RECORD_KEY_BYTES, o, o + RECORD_KEY_BYTES);
        if (!seen.add(keys, o)) {
          keep ??= new Array<boolean>(d.order.length).fill(true);
          keep[i] = false;
          duplicates++;
        }
      }
      const seg: PreparedSegment = {
        day: d.day,
        count: d.order.length,
        keys: segKeys,
        ats: d.ats,
        payload: d.payload ?? encodePayload(d.encoded),
        filter: buildTermFilter(hashes.terms, d.terms),
      };
      if (!keep) done.push(seg);
      else if (keep.some(Boolean)) done.push(keepRecords(seg, keep));
    }
    return { accountId, segments: done, duplicates };
  });
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
