import type { Db, Tx } from '../store/store.ts';
import type { NewStaffTokenRow, StaffTokenRow } from '../store/tables/staff-token.table.ts';

/** All SQL for staff tokens. Rows hold the token's hash, never the token. */
export class StaffTokenRepository {
  async insert(db: Db | Tx, row: NewStaffTokenRow): Promise<void> {
    await db.insertInto('staff_tokens').values(row).execute();
  }

  async byHash(db: Db | Tx, tokenHash: string): Promise<StaffTokenRow | undefined> {
    return db.selectFrom('staff_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
  }

  async byId(db: Db | Tx, id: string): Promise<StaffTokenRow | undefined> {
    return db.selectFrom('staff_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Tokens in creation order; revoked and expired ones only when asked for. */
  async list(db: Db | Tx, options: { includeInactive: boolean; now: string }): Promise<StaffTokenRow[]> {
    let q = db.selectFrom('staff_tokens').selectAll();
    if (!options.includeInactive) {
      q = q.where('revoked_at', 'is', null).where('expires_at', '>', options.now);
    }
    return q.orderBy('created_at').orderBy('id').execute();
  }

  /** Marks a token revoked; returns false when it does not exist or was already revoked. */
  async revoke(db: Db | Tx, id: string, at: string, by: string): Promise<boolean> {
    const result = await db
      .updateTable('staff_tokens')
      .set({ revoked_at: at, revoked_by: by })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}
