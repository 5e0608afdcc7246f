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
  /** Version of the log key the link is a MAC under; 0 for plain SHA-256 links written before the keyed log. */
  key_version: number;
  /** 1: HMAC-SHA-256 (or plain) link; 2: keyed-BLAKE3 link (added by 2026-12-04T2300; earlier rows are 1). */
  link_format: number;
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
  /** The checkpoint cadence this checkpoint signs (NULL: a v1 checkpoint, signed before the keyed log). */
  every: number | null;
  /** The log's epoch: the last plain (unkeyed) entry, signed with every v2 checkpoint (NULL for v1). */
  epoch: number | null;
}
export type AccessLogCheckpointRow = Selectable<AccessLogCheckpointTable>;
