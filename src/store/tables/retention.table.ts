import type { Insertable, Selectable } from 'kysely';

/** A legal hold: suspends deletion of the records it covers (scope, categories, time window) until it ends. */
export interface LegalHoldTable {
  id: string;
  kind: 'preservation' | 'litigation' | 'other';
  scope_kind: 'account' | 'person';
  scope_id: string;
  /** JSON array of policy category ids. */
  categories: string;
  window_from: string | null;
  window_to: string | null;
  /** Staff free text, sealed under the staff-text key (src/retention/sealing/hold-text.gate.ts). */
  reason_ct: Buffer | null;
  authority_request_ref_ct: Buffer | null;
  court_request_ref_ct: Buffer | null;
  requested_at: string;
  expires_at: string | null;
  created_at: string;
  created_by: string;
  updated_at: string;
  released_at: string | null;
  released_by: string | null;
  release_reason_ct: Buffer | null;
  /** Record MAC over the columns that decide what the hold keeps and until when (src/gate/record-macs.ts). */
  row_mac: Buffer | null;
}
export type LegalHoldRow = Selectable<LegalHoldTable>;
export type NewLegalHoldRow = Insertable<LegalHoldTable>;

/** Insert-only history of a hold (created, extended, court request registered, released). */
export interface LegalHoldEventTable {
  id: string;
  hold_id: string;
  kind: 'created' | 'extended' | 'court_request' | 'released';
  at: string;
  actor: string;
  /** JSON (it may hold staff free text), sealed under the staff-text key. */
  details_ct: Buffer | null;
  /** The event's position in its hold's history (1, 2, …), bound by its MAC and counted by the history's head. */
  seq: number;
  row_mac: Buffer | null;
}
export type LegalHoldEventRow = Selectable<LegalHoldEventTable>;

/** One retention sweep run. */
export interface RetentionRunTable {
  id: string;
  trigger: string;
  instance_id: string;
  status: 'running' | 'completed' | 'failed' | 'interrupted';
  started_at: string;
  heartbeat_at: string;
  finished_at: string | null;
  deleted_records: number;
  shredded_subjects: number;
  error_code: string | null;
  report: string | null;
  certificate_id: string | null;
}
export type RetentionRunRow = Selectable<RetentionRunTable>;

/** One committed deletion batch, written in the same transaction as the deletion it describes. */
export interface RetentionBatchTable {
  id: string;
  run_id: string;
  seq: number;
  target_id: string;
  category: string;
  rule: string;
  mode: 'items' | 'period';
  items: number;
  records: number;
  /** JSON array of subject ids. */
  subject_ids: string;
  shredded: number;
  digest: string;
  first_at: string;
  last_at: string;
  created_at: string;
}
export type RetentionBatchRow = Selectable<RetentionBatchTable>;
export type NewRetentionBatchRow = Insertable<RetentionBatchTable>;

/** The work row of one retention target; a batch holds its lock, so one instance at a time works a target. */
export interface RetentionLockTable {
  target_id: string;
  run_id: string | null;
  locked_at: string | null;
  batches: number;
}

/** Subjects whose identity data may no longer be needed (checked by the identity sweep). */
export interface RetentionOrphanTable {
  subject_id: string;
  token: string;
  enqueued_at: string;
}

/** A signed deletion certificate (Ed25519 over the canonical JSON body). */
export interface DeletionCertificateTable {
  id: string;
  run_id: string;
  issued_at: string;
  body: string;
  signature: Buffer;
  public_key: Buffer;
}
export type DeletionCertificateRow = Selectable<DeletionCertificateTable>;
