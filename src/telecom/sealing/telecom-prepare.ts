/**
 * Preparation of telecom records for storage, before any transaction: the segment payload (MessagePack), the
 * natural-key hashes and the Bloom filter of the records' terms, per account, UTC day and segment of up to
 * SEGMENT_MAX records. Pure CPU work with no database and no data key. The keyed hashes of a bulk batch are taken
 * on a worker thread from the encoded payloads themselves (telecom-prepare.pool.ts), so the ingesting thread
 * encodes each record once and sends bytes it already has. The gate then only dedupes against stored keys, seals
 * and inserts.
 */
import { Packr } from 'msgpackr';
import { KEYED_HASH_BYTES, type KeyedHasher } from '../../crypto/keyed-hash.ts';
import type { Keyring } from '../../keys/keyring.ts';
import { KeySet } from '../records/key-set.ts';
import {
  MAX_TERMS_PER_RECORD,
  naturalKeyOf,
  visitTerms,
  type StorableRecord,
  type TelecomKind,
  type Term,
} from '../records/telecom-record.ts';
import { buildTermFilter } from '../records/term-filter.ts';

/** Most records sealed together; bounds the memory of one segment when it is read back. */
export const SEGMENT_MAX = 2000;
export const RECORD_KEY_BYTES = KEYED_HASH_BYTES;
export const TERM_BYTES = KEYED_HASH_BYTES;

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
  /** 16-byte natural-key hash per record, in payload order. */
  keys: Uint8Array;
  /** Epoch milliseconds per record. */
  ats: Float64Array;
  /** MessagePack array of the records' encodings (plaintext: sealed by the gate inside the transaction). */
  payload: Uint8Array;
  /** Bloom filter of the keyed hashes of the records' terms (a blind index, stored in clear). */
  filter: Uint8Array;
  /** The segment's distinct term hashes, 16 bytes each (for the term postings; never stored whole). */
  terms: Uint8Array;
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
  /** `termId` → 16 bytes, the blind index of a number, username or IP (one key for all kinds). */
  term: KeyedHasher;
}

/** The text a term's keyed hash is taken over (kind and value: a number is not the IP with the same text). */
export function termId(t: Term): string {
  return `${t.kind}\u0000${t.value}`;
}

/**
 * The hashers of `kind` under this key ring, for preparation in this thread and for queries. Terms are not cached:
 * with terms read straight from payload bytes, a cache of repeated terms (the account's DID, its trunks) cost more
 * in garbage collection than the hashes it saved (P1 went from about 133,000 to 160,000 records/s without it).
 */
export async function telecomHashers(keyring: Keyring, kind: TelecomKind): Promise<TelecomHashers> {
  return {
    record: await keyring.keyedHasher(`telecom-record/${kind}`),
    term: await keyring.keyedHasher('telecom-term'),
  };
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

/**
 * The keyed hashes of one segment: its records' natural keys (16 bytes each, in order), its term filter and its
 * distinct term hashes (16 bytes each).
 */
export interface SegmentHashes {
  keys: Uint8Array;
  filter: Uint8Array;
  terms: Uint8Array;
}

/**
 * Hashes one segment's records, visited by `each` (from the records themselves, or scanned from their payload
 * on a worker): the one definition of what a segment's keys and filter are.
 */
export function hashSegment(
  kind: TelecomKind,
  count: number,
  each: (visit: (record: unknown[]) => void) => void,
  hashers: TelecomHashers,
): SegmentHashes {
  const keys = Buffer.allocUnsafeSlow(count * RECORD_KEY_BYTES); // every byte is set below
  const terms = Buffer.allocUnsafeSlow(count * MAX_TERMS_PER_RECORD * TERM_BYTES);
  let termCount = 0;
  let i = 0;
  // Each distinct term once: a segment is one account's day, whose own DIDs, trunk usernames and IPs recur in
  // most records (synthetic traffic: 45 % of term occurrences are distinct within their segment).
  const seen = new Set<string>();
  const addTerm = (termKind: Term['kind'], value: string): void => {
    const id = termId({ kind: termKind, value });
    if (seen.has(id)) return;
    seen.add(id);
    hashers.term.hashInto(id, terms, termCount++ * TERM_BYTES);
  };
  each((r) => {
    if (i >= count) throw new Error('more records than the segment counts');
    hashers.record.hashInto(naturalKeyOf(r), keys, i++ * RECORD_KEY_BYTES);
    visitTerms(kind, r, addTerm);
  });
  if (i !== count) throw new Error('fewer records than the segment counts');
  return {
    keys,
    filter: buildTermFilter(terms, termCount),
    terms: terms.subarray(0, termCount * TERM_BYTES),
  };
}

/** Visits records held in memory. */
export function eachOf(records: unknown[][]): (visit: (record: unknown[]) => void) => void {
  return (visit) => {
    for (const r of records) visit(r);
  };
}

/** A segment on its way to be hashed: its records, and the same records as MessagePack (what a worker is sent). */
export interface SegmentToHash {
  encoded: unknown[][];
  payload: Uint8Array;
}

/** Computes the keyed hashes of a batch's segments, in this thread or on a worker. */
export type BatchHashing = (segments: SegmentToHash[]) => SegmentHashes[] | Promise<SegmentHashes[]>;

/** Batch hashing in the calling thread (from the records as they are, with nothing to decode). */
export function hashHere(kind: TelecomKind, hashers: TelecomHashers): BatchHashing {
  return (segments) => segments.map((s) => hashSegment(kind, s.encoded.length, eachOf(s.encoded), hashers));
}

/** Splits one account's records by UTC day into prepared segments, dropping repeats within the batch. */
export function prepareAccount(
  kind: TelecomKind,
  accountId: string,
  records: StorableRecord[],
  hashers: TelecomHashers,
): PreparedAccount {
  const draft = draftAccounts([{ accountId, records }]);
  return completeAccounts(draft, hashHere(kind, hashers)(draft.segments) as SegmentHashes[])[0]!;
}

/**
 * Prepares several accounts' records: groups them into segments, encodes each segment's payload, then has
 * `hashing` take the keyed hashes (a worker, for bulk imports: it needs only the payloads, which this thread had to
 * encode anyway, while a record sent on its own would cost more to send than to prepare).
 */
export async function prepareAccounts(
  accounts: { accountId: string; records: StorableRecord[] }[],
  hashing: BatchHashing,
): Promise<PreparedAccount[]> {
  const draft = draftAccounts(accounts);
  return completeAccounts(draft, await hashing(draft.segments));
}

/** A segment's records, grouped and encoded before their hashes are known. */
interface DraftSegment extends SegmentToHash {
  day: string;
  ats: Float64Array;
}

interface Draft {
  /** Every segment of the batch, account after account. */
  segments: DraftSegment[];
  accounts: { accountId: string; segments: DraftSegment[] }[];
}

function draftAccounts(accounts: { accountId: string; records: StorableRecord[] }[]): Draft {
  const all: DraftSegment[] = [];
  const out: Draft['accounts'] = [];
  for (const { accountId, records } of accounts) {
    const byDay = new Map<string, StorableRecord[]>();
    for (const r of records) {
      const day = dayOf(r.at);
      let list = byDay.get(day);
      if (!list) byDay.set(day, (list = []));
      list.push(r);
    }
    const segments: DraftSegment[] = [];
    for (const [day, list] of byDay) {
      for (let from = 0; from < list.length; from += SEGMENT_MAX) {
        const n = Math.min(SEGMENT_MAX, list.length - from);
        const ats = new Float64Array(n);
        const encoded = new Array<unknown[]>(n);
        for (let j = 0; j < n; j++) {
          const r = list[from + j]!;
          ats[j] = r.at;
          encoded[j] = r.encoded;
        }
        segments.push({ day, ats, encoded, payload: encodePayload(encoded) });
      }
    }
    all.push(...segments);
    out.push({ accountId, segments });
  }
  return { segments: all, accounts: out };
}

/**
 * Gives each segment its keys and filter (`hashes`, one per segment of `draft.segments`), and drops records whose
 * key came earlier in the batch (same account and day).
 */
function completeAccounts(draft: Draft, hashes: SegmentHashes[]): PreparedAccount[] {
  if (hashes.length !== draft.segments.length) throw new Error('segment hashes do not match the batch');
  const hashesOf = new Map(draft.segments.map((s, i) => [s, hashes[i]!]));
  return draft.accounts.map(({ accountId, segments }) => {
    const seenByDay = new Map<string, KeySet>();
    let duplicates = 0;
    const done: PreparedSegment[] = [];
    for (const d of segments) {
      const { keys, filter, terms } = hashesOf.get(d)!;
      const count = d.encoded.length;
      if (keys.length !== count * RECORD_KEY_BYTES) throw new Error('segment hashes do not match the batch');
      let seen = seenByDay.get(d.day);
      if (!seen) seenByDay.set(d.day, (seen = new KeySet(count)));
      let keep: boolean[] | null = null;
      for (let i = 0; i < count; i++) {
        if (!seen.add(keys, i * RECORD_KEY_BYTES)) {
          keep ??= new Array<boolean>(count).fill(true);
          keep[i] = false;
          duplicates++;
        }
      }
      const seg: PreparedSegment = {
        day: d.day,
        count,
        keys,
        ats: d.ats,
        payload: d.payload,
        filter,
        terms,
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
 * the same account and day, so its terms only make the filter (and the postings) answer "maybe" where that day holds
 * them anyway.
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
    terms: seg.terms,
  };
}
