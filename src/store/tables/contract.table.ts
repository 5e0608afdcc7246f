import type { Insertable, Selectable } from 'kysely';
import type { ProvenanceColumns } from './provenance.ts';

/** A contract; dates and status stay plain because retention is computed from them, terms are sealed. */
export interface ContractTable extends ProvenanceColumns {
  id: string;
  account_id: string;
  subject_id: string;
  status: 'active' | 'terminated';
  started_on: string;
  ended_on: string | null;
  terms_ct: Buffer;
  created_at: string;
  updated_at: string;
  /** Keyed MAC of the row's bound columns (src/gate/row-mac.ts); NULL only before the start that backfills it. */
  row_mac: Buffer | null;
}
export type ContractRow = Selectable<ContractTable>;
export type NewContractRow = Insertable<ContractTable>;

/** One event in a contract's history (signed, changed, suspended, terminated ...). */
export interface ContractEventTable extends ProvenanceColumns {
  id: string;
  contract_id: string;
  subject_id: string;
  kind: string;
  occurred_at: string;
  details_ct: Buffer;
  created_at: string;
  /** Keyed MAC of the row's bound columns (src/gate/row-mac.ts); NULL only before the start that backfills it. */
  row_mac: Buffer | null;
}
export type ContractEventRow = Selectable<ContractEventTable>;
