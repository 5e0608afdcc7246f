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
