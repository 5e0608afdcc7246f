/**
 * SQL for `retention_locks`, the work row of each retention target. A sweep batch takes its target's row lock in
 * the batch transaction, so with several instances exactly one works a target at a time.
 */
import type { Db, StoreDialect, Tx } from '../store/store.ts';

/** Takes, counts and creates the per-target work-row locks. */
export class RetentionLockRepository {
  constructor(private readonly dialect: StoreDialect) {}

  /** Creates the work rows of targets that have none yet (a target registered since the last run). */
  async ensure(db: Db | Tx, targetIds: readonly string[]): Promise<void> {
    if (targetIds.length === 0) return;
    await db
      .insertInto('retention_locks')
      .values(targetIds.map((target_id) => ({ target_id, run_id: null, locked_at: null, batches: 0 })))
      .onConflict((oc) => oc.column('target_id').doNothing())
      .execute();
  }

  /**
   * Takes the target's work-row lock for this transaction; false when another transaction holds it. PostgreSQL:
   * `FOR UPDATE SKIP LOCKED` returns nothing while another instance holds it. SQLite: the UPDATE is the
   * transaction's first write, so it takes SQLite's write lock up front (waiting on busy_timeout) instead of
   * failing to upgrade a read later.
   */
  async acquire(tx: Tx, targetId: string, runId: string, now: string): Promise<boolean> {
    if (this.dialect === 'postgres') {
      const row = await tx
        .selectFrom('retention_locks')
        .select('target_id')
        .where('target_id', '=', targetId)
        .forUpdate()
        .skipLocked()
        .executeTakeFirst();
      if (!row) return false;
    }
    await tx
      .updateTable('retention_locks')
      .set({ run_id: runId, locked_at: now })
      .where('target_id', '=', targetId)
      .execute();
    return true;
  }

  /** Counts one more committed batch on the target's work row (under the lock `acquire` took). */
  async countBatch(tx: Tx, targetId: string): Promise<void> {
    await tx
      .updateTable('retention_locks')
      .set((eb) => ({ batches: eb('batches', '+', 1) }))
      .where('target_id', '=', targetId)
      .execute();
  }
}
