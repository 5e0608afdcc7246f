import type { Insertable, Selectable } from 'kysely';

/**
 * Master-key versions a rotation is retiring. A writer that wraps a new key checks its version's row in its own
 * transaction (PostgreSQL: FOR SHARE), and a rotation marks the row before its last rewrap pass, so no key can be
 * committed under a version after that pass looked (docs/operations.md "Key rotation"). Versions only, no keys.
 */
export interface KekVersionTable {
  version: number;
  /** When a rotation started retiring this version; null while it is live. */
  retiring_at: string | null;
}
export type KekVersionRow = Selectable<KekVersionTable>;
export type NewKekVersionRow = Insertable<KekVersionTable>;
