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
