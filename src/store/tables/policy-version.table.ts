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
