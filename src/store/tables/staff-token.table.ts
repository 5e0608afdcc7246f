import type { Insertable, Selectable } from 'kysely';

/** A staff bearer token: only its SHA-256 is kept, with the role it grants, its expiry and revocation. */
export interface StaffTokenTable {
  id: string;
  /** Hex SHA-256 of the whole token string (`sgl_...`). */
  token_hash: string;
  role: string;
  /** What the token is for: free text, sealed under the staff-text key (src/tokens/sealing/token-labels.ts). */
  label_ct: Buffer | null;
  created_by: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  revoked_by: string | null;
  /** `active`, or `pending` until a DPO approves it, or `rejected` (never valid). */
  status: 'active' | 'pending' | 'rejected';
  /** Who approved or rejected a pending token, and when (null for tokens issued without approval). */
  decided_by: string | null;
  decided_at: string | null;
  /** `server` (the CLI on the server) or `http` (the token routes). */
  issued_via: 'server' | 'http';
}
/** A token row as the token service handles it: the sealed label is read and written by TokenLabels only. */
export type StaffTokenRow = Omit<Selectable<StaffTokenTable>, 'label_ct'>;
export type NewStaffTokenRow = Omit<Insertable<StaffTokenTable>, 'label_ct'>;
