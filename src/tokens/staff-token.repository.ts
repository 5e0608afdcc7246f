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

  /** Tokens in creation order; revoked, expired and rejected ones only when asked for. */
  async list(
    db: Db | Tx,
    options: { includeInactive: boolean; now: string; status?: StaffTokenRow['status'] },
  ): Promise<StaffTokenRow[]> {
    let q = db.selectFrom('staff_tokens').selectAll();
    if (!options.includeInactive) {
      q = q
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', options.now)
        .where('status', '!=', 'rejected');
    }
    if (options.status) q = q.where('status', '=', options.status);
    return q.orderBy('created_at').orderBy('id').execute();
  }

  /** Records a DPO's decision on a token still pending and not revoked; false when it no longer is. */
  async decide(
    db: Db | Tx,
    id: string,
    change: Pick<StaffTokenRow, 'status' | 'decided_by' | 'decided_at'> & { expires_at?: string },
  ): Promise<boolean> {
    const result = await db
      .updateTable('staff_tokens')
      .set(change)
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
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
