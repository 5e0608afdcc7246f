import type { Insertable, Selectable } from 'kysely';
import type { ProvenanceColumns } from './provenance.ts';

/** A Brazilian postal address of a person or account, sealed as one JSON document. */
export interface AddressTable extends ProvenanceColumns {
  id: string;
  owner_id: string;
  subject_id: string;
  address_ct: Buffer;
  created_at: string;
  /** Keyed MAC of the row's bound columns (src/gate/row-mac.ts); NULL only before the start that backfills it. */
  row_mac: Buffer | null;
}
export type AddressRow = Selectable<AddressTable>;
export type NewAddressRow = Insertable<AddressTable>;
