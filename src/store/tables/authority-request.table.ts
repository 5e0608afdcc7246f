import type { Insertable, Selectable } from 'kysely';
import type { ProvenanceColumns } from './provenance.ts';

/** An authority request (SPEC §7); targets, contact and order document are sealed under its own subject key. */
export interface AuthorityRequestTable extends ProvenanceColumns {
  id: string;
  subject_id: string;
  external_reference: string;
  country: string;
  authority_name: string;
  authority_type: string;
  order_legal_basis: string;
  court_order_ref: string | null;
  /** JSON array of request types. */
  request_types: string;
  /** JSON array of policy category ids. */
  categories: string;
  target_count: number;
  window_from: string | null;
  window_to: string | null;
  deadline: string;
  urgent: number;
  secret: number;
  state: string;
  targets_ct: Buffer;
  contact_ct: Buffer | null;
  document_ct: Buffer | null;
  document_content_type: string | null;
  document_sha256: string | null;
  /** Random blob-store key of the sealed order document (since 2026-12-04T1910; older ones are inline). */
  document_blob_key: string | null;
  /** Plaintext bytes of the order document in the blob store. */
  document_size: number | null;
  /** JSON array of legal-hold ids. */
  hold_ids: string;
  package_sha256: string | null;
  created_by: string;
  approved_by: string | null;
  approved_at: string | null;
  delivered_at: string | null;
  closed_at: string | null;
  created_at: string;
  updated_at: string;
  /** Keyed MAC of the row's bound columns (src/gate/row-mac.ts); NULL only before the start that backfills it. */
  row_mac: Buffer | null;
}
export type AuthorityRequestRow = Selectable<AuthorityRequestTable>;
export type NewAuthorityRequestRow = Insertable<AuthorityRequestTable>;

/** Insert-only history of an authority request's steps. */
export interface AuthorityRequestEventTable {
  id: string;
  request_id: string;
  kind: string;
  at: string;
  actor: string;
  /** JSON (decision reasons are staff free text), sealed under the request's subject key. */
  details_ct: Buffer | null;
  /** The event's position in its request's history, bound by its MAC and counted by the history's head. */
  seq: number;
  row_mac: Buffer | null;
}
export type AuthorityRequestEventRow = Selectable<AuthorityRequestEventTable>;
