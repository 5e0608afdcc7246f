import type { Insertable, Selectable } from 'kysely';

/** System keys (blind-index root, signing key), wrapped by the master key like data keys. */
export interface KeyMaterialTable {
  id: string;
  wrapped: Buffer;
  kek_version: number;
  public_key: Buffer | null;
  created_at: string;
}
export type KeyMaterialRow = Selectable<KeyMaterialTable>;
export type NewKeyMaterialRow = Insertable<KeyMaterialTable>;

/**
 * A keyed head over a set of rows (src/gate/record-macs.ts): the holds not released (`legal_holds`), or one
 * history's events (`legal_hold_events:<hold id>` …). `row_mac` covers the name, the count and every row's MAC.
 */
export interface RecordHeadTable {
  name: string;
  count: number;
  row_mac: Buffer | null;
  updated_at: string;
}
