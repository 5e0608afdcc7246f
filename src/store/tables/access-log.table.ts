import type { Insertable, Selectable } from 'kysely';

/** One hash-chained entry of Sigilo's own access log (append-only). */
export interface AccessLogTable {
  seq: number;
  at: string;
  actor: string;
  role: string;
  purpose: string | null;
  legal_basis: string | null;
  subject_id: string | null;
  categories: string;
  operation: string;
  outcome: 'allowed' | 'denied' | 'error';
  reason: string | null;
  request_id: string;
  policy_version: number;
  justification: string | null;
  /** 1 when the entry is under legal secrecy (hidden from the subject's views); added by 2026-12-03T1410. */
  legal_secrecy: number;
  prev_hash: Buffer;
  hash: Buffer;
}
export type AccessLogRow = Selectable<AccessLogTable>;
export type NewAccessLogRow = Insertable<AccessLogTable>;

/** The chain head (one row), locked while appending so concurrent writers serialise. */
export interface AccessLogHeadTable {
  id: number;
  seq: number;
  hash: Buffer;
}

/** An Ed25519-signed checkpoint of the chain at `seq`. */
export interface AccessLogCheckpointTable {
  seq: number;
  hash: Buffer;
  signed_at: string;
  signature: Buffer;
  public_key: Buffer;
}
export type AccessLogCheckpointRow = Selectable<AccessLogCheckpointTable>;
