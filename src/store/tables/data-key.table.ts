import type { Insertable, Selectable } from 'kysely';

/** A subject's data key, stored only wrapped by a master-key version. */
export interface DataKeyTable {
  subject_id: string;
  version: number;
  wrapped: Buffer;
  kek_version: number;
  created_at: string;
}
export type DataKeyRow = Selectable<DataKeyTable>;
export type NewDataKeyRow = Insertable<DataKeyTable>;
