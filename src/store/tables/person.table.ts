import type { Insertable, Selectable } from 'kysely';
import type { ProvenanceColumns } from './provenance.ts';

/** A contact or service user, linked to one or more accounts. */
export interface PersonTable extends ProvenanceColumns {
  id: string;
  subject_id: string;
  name_ct: Buffer;
  created_at: string;
  updated_at: string;
  /** Keyed MAC of the row's bound columns (src/gate/row-mac.ts); NULL only before the start that backfills it. */
  row_mac: Buffer | null;
}
export type PersonRow = Selectable<PersonTable>;
export type NewPersonRow = Insertable<PersonTable>;

/** Which people belong to which accounts, and how. */
export interface AccountPersonTable {
  account_id: string;
  person_id: string;
  relation: 'owner' | 'contact' | 'user';
  created_at: string;
  /** Record MAC over which person belongs to which account and how (src/gate/record-macs.ts). */
  row_mac: Buffer | null;
}
export type AccountPersonRow = Selectable<AccountPersonTable>;
