import type { Selectable } from 'kysely';

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
  source: string;
  collected_at: string;
  legal_basis: string;
  policy_version: number;
  created_at: string;
}
export type TelecomSegmentRow = Selectable<TelecomSegmentTable>;

/** Keyed hash of a record's natural key: makes every ingestion idempotent. */
export interface TelecomRecordKeyTable {
  kind: string;
  day: string;
  record_key: Buffer;
  segment_id: string;
}

/** Blind index of a number, username or IP found in an account's records of one day. */
export interface TelecomTermTable {
  term: Buffer;
  kind: string;
  account_id: string;
  day: string;
}

/** Maps platform facts (trunk, account code, username, IP range, DID prefix) to the account that owns a record. */
export interface AttributionRuleTable {
  id: string;
  kind: 'trunk' | 'accountcode' | 'username' | 'ip_range' | 'did_prefix';
  pattern: string;
  account_id: string;
  created_at: string;
}
export type AttributionRuleRow = Selectable<AttributionRuleTable>;
