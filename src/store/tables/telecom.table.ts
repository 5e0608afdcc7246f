import type { ColumnType, Selectable } from 'kysely';
import type { ProvenanceColumns } from './provenance.ts';

/** A sealed segment of telecom records of one account, kind and UTC day. */
export interface TelecomSegmentTable {
  id: string;
  kind: 'cdr' | 'connection' | 'access' | 'traffic';
  account_id: string;
  subject_id: string;
  day: string;
  first_at: string;
  last_at: string;
  record_count: number;
  payload_ct: Buffer;
  /** Scheme byte, then the 16-byte keyed hashes of the records' natural keys (idempotent ingestion). */
  record_keys: Buffer | null;
  /** Bloom filter of the segment's term hashes; null on segments stored before it existed (always opened). */
  term_filter: Buffer | null;
  /** Position of the segment in its key group's epoch (see TelecomKeyGroupTable). */
  seq: ColumnType<number, number | undefined, number>;
  /** Keyed MAC of every other plain column (telecom-segment-mac.ts); null on segments stored before it existed. */
  header_mac: Buffer | null;
  source: string;
  collected_at: string;
  legal_basis: string;
  policy_version: number;
  created_at: string;
}
export type TelecomSegmentRow = Selectable<TelecomSegmentTable>;

/**
 * The version of one (kind, account, day) group of segments: ingestion caches the group's natural keys in
 * memory and reloads when the epoch changed (a deletion) or loads the segments past its count (other writers).
 */
export interface TelecomKeyGroupTable {
  kind: string;
  day: string;
  account_id: string;
  epoch: string;
  segments: number;
}

/**
 * Blind-index term postings of telecom segments, per (kind, UTC day) in blocks split by the leading bits of the
 * term hash (telecom-postings.ts). Opaque: keyed term hashes and segment ids only.
 */
export interface TelecomTermPostingTable {
  kind: string;
  /** Heap number of the term-hash prefix: 1 = every term, 2|b = first bit b, 4|bb = first two bits, … */
  bucket: number;
  day: string;
  block: string;
  level: number;
  /** Sorted 24-byte entries: 8 bytes of term hash, 16 bytes of segment id. */
  term_postings: Buffer;
  /** Keyed BLAKE3 over kind, day, block, level, bucket and the entries (telecom-postings.ts). */
  postings_mac: Buffer;
}

/** The blocks of one (kind, day)'s postings, MAC'd: a removed block or bucket row is caught. */
export interface TelecomPostingDayTable {
  kind: string;
  day: string;
  /** 18 bytes a block, sorted: block id (16), level, split depth. */
  blocks: Buffer;
  manifest_mac: Buffer;
}

/** The days of one kind that have postings, MAC'd: a removed day manifest is caught. */
export interface TelecomPostingRootTable {
  kind: string;
  /** Sorted YYYY-MM-DD days, concatenated. */
  days: string;
  root_mac: Buffer;
}

/** Segments stored before term postings existed, searched through their Bloom filters until indexed. */
export interface TelecomUnindexedSegmentTable {
  segment_id: string;
  kind: string;
  day: string;
}

/**
 * Maps platform facts (trunk, account code, username, IP range, DID prefix) to the account that owns a record. The
 * pattern is personal data of the account: sealed under its key, found by a keyed hash of kind and pattern.
 */
export interface AttributionRuleTable extends ProvenanceColumns {
  id: string;
  subject_id: string;
  account_id: string;
  kind: 'trunk' | 'accountcode' | 'username' | 'ip_range' | 'did_prefix';
  /** Characters of a DID prefix, bits of an IP range; NULL for the exact-match kinds. */
  match_length: number | null;
  pattern_ct: Buffer;
  pattern_bidx: Buffer | null;
  created_at: string;
  /** Keyed MAC of the row's bound columns (src/gate/row-mac.ts); NULL only before the start that backfills it. */
  row_mac: Buffer | null;
}
export type AttributionRuleRow = Selectable<AttributionRuleTable>;
