/**
 * Preparation of telecom records for storage, before any transaction: natural-key hashes, term hashes and their
 * Bloom filter, and the segment payload (MessagePack), per account, UTC day and segment of up to SEGMENT_MAX
 * records. Pure CPU work with no database and no data key, so it runs on worker threads (telecom-prepare.pool.ts)
 * while the previous batch is being written; the gate then only dedupes against stored keys, seals and inserts.
 */
import { Packr } from 'msgpackr';
import type { KeyedHasher } from '../crypto/keyed-hash.ts';
import type { Keyring } from '../keys/keyring.ts';
import { KeySet } from '../telecom/records/key-set.ts';
import type { StorableRecord, TelecomKind, Term } from '../telecom/records/telecom-record.ts';
import { buildTermFilter } from '../telecom/records/term-filter.ts';

/** Most records sealed together; bounds the memory of one segment when it is read back. */
export const SEGMENT_MAX = 2000;
export const RECORD_KEY_BYTES = 16;
const TERM_BYTES = 16;
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
  /** 16-byte term hashes of every record, in order; record i owns terms [termEnds[i-1], termEnds[i]). */
  terms: Uint8Array;
  termEnds: Uint32Array;
  /** Bloom filter of the distinct term hashes. */
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

/** The keyed hashers of the bulk path. */
export interface TelecomHashers {
  /** Natural key → 16 bytes (per kind; the account is implied by the key group). */
  record: KeyedHasher;
  /** Term → 16 bytes, the same Buffer for the same term while cached. */
  term: (t: Term) => Buffer;
}

/** Wraps a keyed hasher of terms with a cache: CDRs repeat trunks, DIDs and frequent callees all day. */
export function cachedTermHasher(hasher: KeyedHasher): (t: Term) => Buffer {
  const cache = new Map<string, Buffer>();
  return (t) => {
    const id = `${t.kind}\u0000${t.value}`;
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
const termHashers = new WeakMap<Keyring, Promise<(t: Term) => Buffer>>();

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

/** Splits one account's records by UTC day into prepared segments, dropping repeats within the batch. */
export function prepareAccount(
  accountId: string,
  records: StorableRecord[],
  hashers: TelecomHashers,
): PreparedAccount {
  const byDay = new Map<string, StorableRecord[]>();
  for (const rec of records) {
    const day = dayOf(rec.at);
    let list = byDay.get(day);
    if (!list) byDay.set(day, (list = []));
    list.push(rec);
  }
  const segments: PreparedSegment[] = [];
  let duplicates = 0;
  for (const [day, recs] of byDay) {
    const seen = new KeySet(recs.length);
    let part: StorableRecord[] = [];
    let keys: Buffer[] = [];
    for (const rec of recs) {
      const key = hashers.record.hash(rec.naturalKey);
      if (!seen.add(key)) {
        duplicates++;
        continue;
      }
      part.push(rec);
      keys.push(key);
      if (part.length === SEGMENT_MAX) {
        segments.push(prepareSegment(day, part, keys, hashers));
        part = [];
        keys = [];
      }
    }
    if (part.length) segments.push(prepareSegment(day, part, keys, hashers));
  }
  return { accountId, segments, duplicates };
}

function prepareSegment(
  day: string,
  records: StorableRecord[],
  keys: Buffer[],
  hashers: TelecomHashers,
): PreparedSegment {
  const n = records.length;
  const ats = new Float64Array(n);
  const termEnds = new Uint32Array(n);
  const termList: Buffer[] = [];
  const distinct = new Set<Buffer>();
  const encoded = new Array<unknown>(n);
  for (let i = 0; i < n; i++) {
    const rec = records[i]!;
    ats[i] = rec.at;
    encoded[i] = rec.encoded;
    for (const t of rec.terms) {
      const h = hashers.term(t);
      termList.push(h);
      distinct.add(h);
    }
    termEnds[i] = termList.length;
  }
  return {
    day,
    count: n,
    keys: Buffer.concat(keys, n * RECORD_KEY_BYTES),
    ats,
    payload: encodePayload(encoded),
    terms: Buffer.concat(termList, termList.length * TERM_BYTES),
    termEnds,
    filter: buildTermFilter(distinct, distinct.size),
  };
}

/**
 * The part of a prepared segment whose records are flagged in `keep` (some were already stored): payload
 * re-encoded, keys, instants and filter rebuilt from the kept records only.
 */
export function keepRecords(seg: PreparedSegment, keep: boolean[]): PreparedSegment {
  const all = decodePayload(Buffer.from(seg.payload.buffer, seg.payload.byteOffset, seg.payload.byteLength));
  const encoded: unknown[] = [];
  const keys: Uint8Array[] = [];
  const ats: number[] = [];
  const terms: Uint8Array[] = [];
  const termEnds: number[] = [];
  for (let i = 0; i < seg.count; i++) {
    if (!keep[i]) continue;
    encoded.push(all[i]);
    keys.push(seg.keys.subarray(i * RECORD_KEY_BYTES, (i + 1) * RECORD_KEY_BYTES));
    ats.push(seg.ats[i]!);
    for (let t = i === 0 ? 0 : seg.termEnds[i - 1]!; t < seg.termEnds[i]!; t++)
      terms.push(seg.terms.subarray(t * TERM_BYTES, (t + 1) * TERM_BYTES));
    termEnds.push(terms.length);
  }
  return {
    day: seg.day,
    count: encoded.length,
    keys: Buffer.concat(keys),
    ats: Float64Array.from(ats),
    payload: encodePayload(encoded),
    terms: Buffer.concat(terms),
    termEnds: Uint32Array.from(termEnds),
    // Repeated terms set the same bits: sizing by occurrences only makes the filter a little sparser.
    filter: buildTermFilter(terms, terms.length),
  };
}
