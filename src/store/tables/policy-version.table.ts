import type { Insertable, Selectable } from 'kysely';

/** A published version of the policy document (JSON), the source the code enforces. */
export interface PolicyVersionTable {
  version: number;
  effective_date: string;
  document: string;
  document_hash: string;
  published_at: string;
  published_by: string;
}
export type PolicyVersionRow = Selectable<PolicyVersionTable>;
export type NewPolicyVersionRow = Insertable<PolicyVersionTable>;

/** A proposed version that loosens protection, waiting for a second DPO (LGPD: changes are reviewed). */
export interface PolicyProposalTable {
  version: number;
  document: string;
  proposed_by: string;
  proposed_at: string;
  status: 'pending' | 'published' | 'superseded';
  approved_by: string | null;
  approved_at: string | null;
}
