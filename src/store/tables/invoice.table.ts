import type { Insertable, Selectable } from 'kysely';
import type { ProvenanceColumns } from './provenance.ts';

/** An invoice; amount and due/paid dates are personal data ("datas de pagamento") and stay sealed. */
export interface InvoiceTable extends ProvenanceColumns {
  id: string;
  account_id: string;
  contract_id: string;
  subject_id: string;
  issued_on: string;
  details_ct: Buffer;
  created_at: string;
  updated_at: string;
  /** Keyed MAC of the row's bound columns (src/gate/row-mac.ts); NULL only before the start that backfills it. */
  row_mac: Buffer | null;
}
export type InvoiceRow = Selectable<InvoiceTable>;
export type NewInvoiceRow = Insertable<InvoiceTable>;
