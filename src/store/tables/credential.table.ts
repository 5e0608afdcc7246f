import type { Insertable, Selectable } from 'kysely';
import type { ProvenanceColumns } from './provenance.ts';

/** A credential: portal password (argon2id hash, sealed too) or provisioning/MFA secret (sealed). */
export interface CredentialTable extends ProvenanceColumns {
  id: string;
  person_id: string;
  subject_id: string;
  kind: 'portal_password' | 'provisioning_secret' | 'mfa_secret';
  /** Sealed like the secret (staff free text); NULL only on rows stored before 2026-12-04 until the next start. */
  label_ct: Buffer | null;
  secret_ct: Buffer;
  created_at: string;
  updated_at: string;
  /** Keyed MAC of the row's bound columns (src/gate/row-mac.ts); NULL only before the start that backfills it. */
  row_mac: Buffer | null;
}
export type CredentialRow = Selectable<CredentialTable>;
export type NewCredentialRow = Insertable<CredentialTable>;
