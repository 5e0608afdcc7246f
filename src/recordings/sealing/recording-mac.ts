/**
 * The MAC of a recording row's plain columns (issue 13 §5). The blob's chunks are bound to recording id, subject
 * and key version; `row_mac` covers the rest — whose recording it is (ticket, account), when it goes (recorded
 * at), what it is (content type, sizes, chunking, blob digest and key) and its provenance — under a keyed BLAKE3
 * whose key is derived from the master key. Rows written before it existed have a NULL MAC (see
 * `checkRecordingRow`).
 */
import { timingSafeEqual } from 'node:crypto';
import type { KeyedHasher } from '../../crypto/keyed-hash.ts';
import type { Keyring } from '../../keys/keyring.ts';
import type { RecordingRow } from '../../store/tables/recording.table.ts';

/** Every column but the MAC itself, in the order they are hashed. */
const COLUMNS = [
  'id',
  'ticket_id',
  'account_id',
  'subject_id',
  'blob_key',
  'status',
  'key_version',
  'content_type',
  'chunk_size',
  'chunk_count',
  'size_bytes',
  'blob_bytes',
  'blob_sha256',
  'recorded_at',
  'source',
  'collected_at',
  'legal_basis',
  'policy_version',
  'created_at',
  'completed_at',
] as const satisfies readonly (keyof RecordingRow)[];

type MacColumns = Pick<RecordingRow, (typeof COLUMNS)[number]>;

/** Computes and checks recording row MACs under one key ring. */
export class RecordingMac {
  private constructor(private readonly h: KeyedHasher) {}

  static async of(keyring: Keyring): Promise<RecordingMac> {
    return new RecordingMac(await keyring.keyedHasher('recording-row-mac/v1'));
  }

  /** The 16-byte `row_mac` of a row as it will be stored. */
  seal(row: MacColumns): Buffer {
    // JSON of the values in a fixed order: no value's bytes can be shifted into its neighbour's.
    const values = COLUMNS.map((c) => {
      const v = row[c];
      if (v === null || v === undefined) return null;
      if (Buffer.isBuffer(v)) return `b:${v.toString('base64')}`;
      return typeof v === 'number' || typeof v === 'bigint' ? Number(v) : String(v);
    });
    return this.h.hash(JSON.stringify(['sigilo/recording-row/v1', ...values]));
  }

  /** Whether the stored row is the one Sigilo wrote. */
  verify(row: MacColumns & { row_mac: Buffer | null }): boolean {
    const mac = row.row_mac;
    if (!Buffer.isBuffer(mac) || mac.length !== 16) return false;
    return timingSafeEqual(this.seal(row), mac);
  }
}
