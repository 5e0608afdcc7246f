import { runShaped } from '../store/compiled-shapes.ts';
import type { KernelDb as Db, KernelTx as Tx } from '../store/store.ts';

/** SQL for wrapped data keys and system key material; the rows only ever hold wrapped keys. */
export class DataKeyRepository {
  /** The newest key version of a subject, or undefined when it has none (never created, or shredded). */
  async current(
    tx: Tx | Db,
    subjectId: string,
  ): Promise<{ version: number; wrapped: Buffer; kekVersion: number } | undefined> {
    // Read on every gated access that opens a field (a shred elsewhere must show at once): compiled once.
    const [row] = (
      await runShaped(tx, 'data_keys.current', [subjectId], (slot) =>
        tx
          .selectFrom('data_keys')
          .select(['version', 'wrapped', 'kek_version'])
          .where('subject_id', '=', slot(0))
          .orderBy('version', 'desc')
          .limit(1),
      )
    ).rows;
    return row && { version: row.version, wrapped: row.wrapped, kekVersion: row.kek_version };
  }

  /** One key version of a subject. */
  async get(
    tx: Tx | Db,
    subjectId: string,
    version: number,
  ): Promise<{ wrapped: Buffer; kekVersion: number } | undefined> {
    const [row] = (
      await runShaped(tx, 'data_keys.get', [subjectId, version], (slot) =>
        tx
          .selectFrom('data_keys')
          .select(['wrapped', 'kek_version'])
          .where('subject_id', '=', slot(0))
          .where('version', '=', slot(1)),
      )
    ).rows;
    return row && { wrapped: row.wrapped, kekVersion: row.kek_version };
  }

  async insert(
    tx: Tx,
    row: { subjectId: string; version: number; wrapped: Buffer; kekVersion: number; createdAt: string },
  ): Promise<void> {
    await tx
      .insertInto('data_keys')
      .values({
        subject_id: row.subjectId,
        version: row.version,
        wrapped: row.wrapped,
        kek_version: row.kekVersion,
        created_at: row.createdAt,
      })
      .execute();
  }

  /** Destroys every key version of a subject (crypto-shredding). Returns how many were destroyed. */
  async destroyAll(tx: Tx, subjectId: string): Promise<number> {
    const res = await tx.deleteFrom('data_keys').where('subject_id', '=', subjectId).executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  /** A batch of keys still wrapped by a master-key version other than `kekVersion`. */
  async wrappedByOtherThan(
    tx: Tx | Db,
    kekVersion: number,
    limit: number,
  ): Promise<{ subjectId: string; version: number; wrapped: Buffer; kekVersion: number }[]> {
    const rows = await tx
      .selectFrom('data_keys')
      .select(['subject_id', 'version', 'wrapped', 'kek_version'])
      .where('kek_version', '!=', kekVersion)
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      subjectId: r.subject_id,
      version: r.version,
      wrapped: r.wrapped,
      kekVersion: r.kek_version,
    }));
  }

  /** Master-key versions that still wrap at least one key. */
  async kekVersionsInUse(db: Tx | Db): Promise<number[]> {
    const a = await db.selectFrom('data_keys').select('kek_version').distinct().execute();
    const b = await db.selectFrom('key_material').select('kek_version').distinct().execute();
    return [...new Set([...a, ...b].map((r) => r.kek_version))];
  }

  async rewrap(
    tx: Tx,
    subjectId: string,
    version: number,
    wrapped: Buffer,
    kekVersion: number,
  ): Promise<void> {
    await tx
      .updateTable('data_keys')
      .set({ wrapped, kek_version: kekVersion })
      .where('subject_id', '=', subjectId)
      .where('version', '=', version)
      .execute();
  }

  /**
   * Whether master-key version `kekVersion` is being retired, asked by a writer about to commit a key wrapped
   * under it. On PostgreSQL the version's row is held FOR SHARE until the writer commits, so a rotation marking it
   * (`markRetiring`) waits for the writer and its last rewrap pass then sees the key; SQLite serialises writers.
   */
  async isRetiring(tx: Tx, kekVersion: number, dialect: 'sqlite' | 'postgres'): Promise<boolean> {
    const look = async (): Promise<{ retiring_at: string | null } | undefined> => {
      const q = tx.selectFrom('kek_versions').select('retiring_at').where('version', '=', kekVersion);
      return (dialect === 'postgres' ? q.forShare() : q).executeTakeFirst();
    };
    let row = await look();
    if (!row) {
      // First key under this version: the inserted row is this writer's until it commits (a rotation marking it
      // waits on it); when a rotation's row was there first, read that one.
      const res = await tx
        .insertInto('kek_versions')
        .values({ version: kekVersion, retiring_at: null })
        .onConflict((oc) => oc.column('version').doNothing())
        .executeTakeFirst();
      if (Number(res.numInsertedOrUpdatedRows ?? 0) > 0) return false;
      row = await look();
    }
    return row?.retiring_at != null;
  }

  /** Marks master-key versions as retiring; waits for writers holding them (see `isRetiring`). */
  async markRetiring(tx: Tx, kekVersions: readonly number[], at: string): Promise<void> {
    for (const version of kekVersions) {
      await tx
        .insertInto('kek_versions')
        .values({ version, retiring_at: at })
        .onConflict((oc) => oc.column('version').doUpdateSet({ retiring_at: at }))
        .execute();
    }
  }

  async material(
    db: Tx | Db,
    id: string,
  ): Promise<{ wrapped: Buffer; kekVersion: number; publicKey: Buffer | null } | undefined> {
    const row = await db.selectFrom('key_material').selectAll().where('id', '=', id).executeTakeFirst();
    return row && { wrapped: row.wrapped, kekVersion: row.kek_version, publicKey: row.public_key };
  }

  async allMaterial(db: Tx | Db): Promise<{ id: string; wrapped: Buffer; kekVersion: number }[]> {
    const rows = await db.selectFrom('key_material').select(['id', 'wrapped', 'kek_version']).execute();
    return rows.map((r) => ({ id: r.id, wrapped: r.wrapped, kekVersion: r.kek_version }));
  }

  async insertMaterial(
    tx: Tx,
    row: { id: string; wrapped: Buffer; kekVersion: number; publicKey: Buffer | null; createdAt: string },
  ): Promise<void> {
    await tx
      .insertInto('key_material')
      .values({
        id: row.id,
        wrapped: row.wrapped,
        kek_version: row.kekVersion,
        public_key: row.publicKey,
        created_at: row.createdAt,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async rewrapMaterial(tx: Tx, id: string, wrapped: Buffer, kekVersion: number): Promise<void> {
    await tx
      .updateTable('key_material')
      .set({ wrapped, kek_version: kekVersion })
      .where('id', '=', id)
      .execute();
  }
}
