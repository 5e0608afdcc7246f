import type { Insertable, Selectable } from 'kysely';

/** A data-subject request (LGPD Art. 18): no column holds personal data (see the migration). */
export interface SubjectRequestTable {
  id: string;
  subject_id: string;
  type: string;
  state: string;
  channel: string;
  received_at: string;
  due_at: string;
  original_due_at: string;
  extension_reason: string | null;
  extended_at: string | null;
  /** JSON. */
  params: string;
  verification_method: string | null;
  /** JSON. */
  verification_evidence: string | null;
  verified_at: string | null;
  verified_by: string | null;
  representative_kind: string | null;
  representative_person_id: string | null;
  /** JSON. */
  representative_proof: string | null;
  refusal_reason: string | null;
  answered_at: string | null;
  /** JSON. */
  answer: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
  /** Record MAC over whose request it is, what it asks, its state and dates (src/gate/record-macs.ts). */
  row_mac: Buffer | null;
}
export type SubjectRequestRow = Selectable<SubjectRequestTable>;
export type NewSubjectRequestRow = Insertable<SubjectRequestTable>;

/** Insert-only history of a request: every step, who took it, when. */
export interface SubjectRequestEventTable {
  id: string;
  request_id: string;
  kind: string;
  at: string;
  actor: string;
  role: string;
  /** JSON, sealed under the staff-text key (it outlives the subject's keys: a deletion request's proof). */
  details_ct: Buffer | null;
  /** The event's position in its request's history, bound by its MAC and counted by the history's head. */
  seq: number;
  row_mac: Buffer | null;
}
export type SubjectRequestEventRow = Selectable<SubjectRequestEventTable>;

/** A category of one subject withdrawn from processing by a blocking request (LGPD Art. 18 IV); ids and codes. */
export interface ProcessingBlockTable {
  /** `<subject_id>/<category>`: the primary key as one value, for the row MAC. */
  id: string;
  subject_id: string;
  category: string;
  request_id: string;
  blocked_at: string;
  /** Keyed MAC over id, subject, category, request and date (src/gate/row-mac.ts). */
  row_mac: Buffer | null;
}

/** Per subject, a MAC over its whole set of blocks, so that a deleted block row is seen (src/gate/processing-blocks.ts). */
export interface BlockSetTable {
  subject_id: string;
  version: number;
  set_mac: Buffer;
}
