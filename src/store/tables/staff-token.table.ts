import type { Insertable, Selectable } from 'kysely';

/** A staff bearer token: only its SHA-256 is kept, with the role it grants, its expiry and revocation. */
export interface StaffTokenTable {
  id: string;
  /** Hex SHA-256 of the whole token string (`sgl_...`). */
  token_hash: string;
  role: string;
  /** What the token is for (never a person's name: it is shown in listings and logs). */
  label: string;
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
export type StaffTokenRow = Selectable<StaffTokenTable>;
export type NewStaffTokenRow = Insertable<StaffTokenTable>;
