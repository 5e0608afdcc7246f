import type { Selectable } from 'kysely';
import type { ProvenanceColumns } from './provenance.ts';

/** One entry of the security-incident register; the free text is sealed under the incident's own subject key. */
export interface SecurityIncidentTable extends ProvenanceColumns {
  id: string;
  subject_id: string;
  occurred_at: string | null;
  known_at: string;
  /** JSON array of policy category ids. */
  categories: string;
  affected_subjects: number;
  affected_basis: 'key_version' | 'declared';
  kek_version: number | null;
  communication_due_at: string;
  anpd_communicated_at: string | null;
  subjects_communicated_at: string | null;
  state: 'open' | 'communicated' | 'closed';
  description_ct: Buffer;
  measures_ct: Buffer | null;
  risks_ct: Buffer | null;
  delay_reason_ct: Buffer | null;
  created_by: string;
  created_at: string;
  updated_at: string;
  /** Keyed MAC of the row's bound columns (src/gate/row-mac.ts); NULL only before the start that backfills it. */
  row_mac: Buffer | null;
}
export type SecurityIncidentRow = Selectable<SecurityIncidentTable>;
