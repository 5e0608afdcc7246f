import type { Insertable, Selectable, Updateable } from 'kysely';
import type { ProvenanceColumns } from './provenance.ts';

/**
 * A support-call recording. No column holds personal data in the clear: the audio is a sealed blob named by the
 * random `blob_key`; sizes, dates and status stay plain because uploads, downloads and retention need them.
 */
export interface RecordingTable extends ProvenanceColumns {
  id: string;
  ticket_id: string;
  account_id: string;
  /** The ticket's subject: its data key seals the blob, and shredding it makes the blob unreadable. */
  subject_id: string;
  blob_key: string;
  status: 'uploading' | 'complete';
  /** Version of the subject's data key the blob was sealed with. */
  key_version: number;
  content_type: string;
  chunk_size: number;
  chunk_count: number | null;
  /** Plaintext length (null until complete). */
  size_bytes: number | null;
  /** Stored (sealed) length and SHA-256, for checking the blob store without any key. */
  blob_bytes: number | null;
  blob_sha256: Buffer | null;
  recorded_at: string;
  created_at: string;
  completed_at: string | null;
  /** Keyed MAC of every other column (recording-mac.ts); null on rows stored before it existed. */
  row_mac: Buffer | null;
}
export type RecordingRow = Selectable<RecordingTable>;
export type NewRecordingRow = Insertable<RecordingTable>;
export type RecordingUpdate = Updateable<RecordingTable>;

/**
 * A blob whose row is gone and which is removed once that deletion commits (src/recordings/sealing/blob-deletions.ts).
 * `id` is the random blob key; `row_mac` binds it to `queued_at`, so a planted key is refused, not deleted.
 */
export interface BlobDeletionTable {
  id: string;
  queued_at: string;
  row_mac: Buffer;
}
