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
}
export type StaffTokenRow = Selectable<StaffTokenTable>;
export type NewStaffTokenRow = Insertable<StaffTokenTable>;
