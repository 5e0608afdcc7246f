import type { Insertable, Selectable } from 'kysely';
import type { ProvenanceColumns } from './provenance.ts';

/** A Brazilian postal address of a person or account, sealed as one JSON document. */
export interface AddressTable extends ProvenanceColumns {
  id: string;
  owner_id: string;
  subject_id: string;
  address_ct: Buffer;
  created_at: string;
}
export type AddressRow = Selectable<AddressTable>;
export type NewAddressRow = Insertable<AddressTable>;
