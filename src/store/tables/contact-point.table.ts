import type { Insertable, Selectable } from 'kysely';
import type { ProvenanceColumns } from './provenance.ts';

/** A phone, e-mail or IP address of a person, sealed, with a blind index for exact lookup. */
export interface ContactPointTable extends ProvenanceColumns {
  id: string;
  person_id: string;
  subject_id: string;
  kind: 'phone' | 'email' | 'ip';
  value_ct: Buffer;
  value_bidx: Buffer;
  created_at: string;
  /** Keyed MAC of the row's bound columns (src/gate/row-mac.ts); NULL only before the start that backfills it. */
  row_mac: Buffer | null;
}
export type ContactPointRow = Selectable<ContactPointTable>;
export type NewContactPointRow = Insertable<ContactPointTable>;
