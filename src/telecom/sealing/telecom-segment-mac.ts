/**
 * The MAC of a telecom segment's plain columns (issue 13 §5). The payload is AES-GCM sealed with its row, subject
 * and key version as associated data; everything else in the row — whose records they are (account, subject), when
 * they go (day, time range), how many (count), which records are stored (natural-key hashes, `seq`), what a search
 * may skip (term filter) and the provenance — is covered by `header_mac`, a keyed BLAKE3 under a key derived from
 * the master key. Whoever can write the database but holds no key cannot change any of it unnoticed.
 *
 * `header_mac` is 32 bytes: the tag of the natural-key hashes (16), then the tag of the header (16), which covers
 * the first. Ingestion checks both when it loads a group's keys; reads check the header tag alone, so they never
 * fetch the keys.
 */
import { timingSafeEqual } from 'node:crypto';
import type { KeyedHasher } from '../../crypto/keyed-hash.ts';
import type { Keyring } from '../../keys/keyring.ts';

const TAG = 16;
export const SEGMENT_MAC_BYTES = 2 * TAG;

/** The plain columns of a segment that its MAC covers, as stored. */
export interface SegmentHeader {
  id: string;
  kind: string;
  account_id: string;
  subject_id: string;
  day: string;
  first_at: string;
  last_at: string;
  record_count: number | string;
  seq: number | string;
  term_filter: Buffer | null;
  source: string;
  collected_at: string;
  legal_basis: string;
  policy_version: number | string;
  created_at: string;
}

/** The columns to select for `verifyHeader` (reads) — `record_keys` is needed only by `verifyKeys`. */
export const SEGMENT_HEADER_COLUMNS = [
  'id',
  'kind',
  'account_id',
  'subject_id',
  'day',
  'first_at',
  'last_at',
  'record_count',
  'seq',
  'term_filter',
  'source',
  'collected_at',
  'legal_basis',
  'policy_version',
  'created_at',
  'header_mac',
] as const;

/** Computes and checks segment MACs under one key ring's segment key. */
export class SegmentMac {
  private constructor(private readonly h: KeyedHasher) {}

  /** The MAC hasher of a key ring (its key is derived from the master key; never stored). */
  static async of(keyring: Keyring): Promise<SegmentMac> {
    return new SegmentMac(await keyring.keyedHasher('telecom-segment-mac/v1'));
  }

  /** The 32-byte `header_mac` of a segment about to be stored. */
  seal(header: SegmentHeader, recordKeys: Buffer): Buffer {
    const keysTag = this.keysTag(header.id, recordKeys);
    return Buffer.concat([keysTag, this.headerTag(header, keysTag)]);
  }

  /** Whether the stored header (its MAC included) is the one Sigilo wrote. */
  verifyHeader(header: SegmentHeader, mac: Buffer | null): boolean {
    if (!Buffer.isBuffer(mac) || mac.length !== SEGMENT_MAC_BYTES) return false;
    return timingSafeEqual(this.headerTag(header, mac.subarray(0, TAG)), mac.subarray(TAG));
  }

  /** Whether the header and the natural-key hashes are the ones Sigilo wrote. */
  verifyKeys(header: SegmentHeader, recordKeys: Buffer | null, mac: Buffer | null): boolean {
    if (!Buffer.isBuffer(recordKeys) || !this.verifyHeader(header, mac)) return false;
    return timingSafeEqual(this.keysTag(header.id, recordKeys), mac!.subarray(0, TAG));
  }

  private keysTag(id: string, recordKeys: Buffer): Buffer {
    return this.h.hash(
      Buffer.concat([Buffer.from(`sigilo/telecom-segment-keys/v1${JSON.stringify(id)}`), recordKeys]),
    );
  }

  private headerTag(s: SegmentHeader, keysTag: Buffer): Buffer {
    // JSON: no field's bytes can be shifted into its neighbour (a separator could be written into a column).
    const text = JSON.stringify([
      'sigilo/telecom-segment/v1',
      s.id,
      s.kind,
      s.account_id,
      s.subject_id,
      s.day,
      s.first_at,
      s.last_at,
      Number(s.record_count),
      Number(s.seq),
      s.source,
      s.collected_at,
      s.legal_basis,
      Number(s.policy_version),
      s.created_at,
      // The filter's presence is covered too: a segment without one is always opened by a search.
      s.term_filter ? s.term_filter.length : null,
    ]);
    return this.h.hash(Buffer.concat([Buffer.from(text), keysTag, s.term_filter ?? Buffer.alloc(0)]));
  }
}
