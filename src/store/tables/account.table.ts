import type { Insertable, Selectable } from 'kysely';
import type { ProvenanceColumns } from './provenance.ts';

/** The contracting customer: a company (CNPJ) or an individual (CPF). */
export interface AccountTable extends ProvenanceColumns {
  id: string;
  subject_id: string;
  kind: 'company' | 'individual';
  status: 'active' | 'closed';
  name_ct: Buffer;
  tax_id_ct: Buffer;
  tax_id_bidx: Buffer;
  created_at: string;
  updated_at: string;
  /** Keyed MAC of the row's bound columns (src/gate/row-mac.ts); NULL only before the start that backfills it. */
  row_mac: Buffer | null;
}
export type AccountRow = Selectable<AccountTable>;
export type NewAccountRow = Insertable<AccountTable>;
