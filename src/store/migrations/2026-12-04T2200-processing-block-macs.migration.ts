/**
 * Processing blocks that a database writer without the key can neither lift nor plant (issue 13): each block row
 * gets an `id` (`<subject>/<category>`, its primary key as one value) and a `row_mac`, and every subject gets one
 * `block_sets` row — a version counter and a keyed MAC over the subject's whole set of blocks — so that deleting a
 * block row, or every block row and the set row with them, is caught when the gate reads the blocks. A migration
 * holds no key: the MACs and the set rows of existing subjects are written by the first start after it
 * (src/gate/block-set-backfill.ts), which also writes the set row of the empty subject id that marks the backfill
 * done. A migration cannot compute a MAC, so `down` keeps the block MACs in `processing_block_macs_kept` and leaves
 * `block_sets` (unknown to the older schema), and `up` puts the MACs back: a down and up again loses none. Blocks
 * and subjects written by an older version in between have no MAC or set and are refused.
 * Frozen in time: never import application code here.
 */
import { sql, type Kysely } from 'kysely';
import { bytesType, dialectOf } from './portable.ts';

const KEPT = 'processing_block_macs_kept';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('processing_blocks').addColumn('id', 'text').execute();
  await db.schema.alterTable('processing_blocks').addColumn('row_mac', bytesType(db)).execute();
  await sql`update processing_blocks set id = subject_id || '/' || category`.execute(db);
  if (await keptExists(db)) {
    await sql`update processing_blocks set row_mac = (select k.row_mac from ${sql.table(KEPT)} k
      where k.subject_id = processing_blocks.subject_id and k.category = processing_blocks.category)`.execute(
      db,
    );
    await db.schema.dropTable(KEPT).execute();
  }
  await db.schema
    .createTable('block_sets')
    .ifNotExists()
    // One row per subject, written with the subject and never deleted while it exists.
    .addColumn('subject_id', 'text', (c) => c.primaryKey())
    // Raised by every block and every lift: the MAC of one state is not the MAC of the next.
    .addColumn('version', 'integer', (c) => c.notNull())
    // Keyed BLAKE3 over the subject, the version and every block (category, request, since), sorted.
    .addColumn('set_mac', bytesType(db), (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable(KEPT)
    .ifNotExists()
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('row_mac', bytesType(db), (c) => c.notNull())
    .execute();
  await sql`insert into ${sql.table(KEPT)} (subject_id, category, row_mac)
    select subject_id, category, row_mac from processing_blocks where row_mac is not null`.execute(db);
  await db.schema.alterTable('processing_blocks').dropColumn('row_mac').execute();
  await db.schema.alterTable('processing_blocks').dropColumn('id').execute();
}

async function keptExists(db: Kysely<any>): Promise<boolean> {
  const r =
    dialectOf(db) === 'postgres'
      ? await sql<{ t: string | null }>`select to_regclass(${KEPT})::text as t`.execute(db)
      : await sql<{
          t: string;
        }>`select name as t from sqlite_master where type = 'table' and name = ${KEPT}`.execute(db);
  return r.rows.length > 0 && r.rows[0]!.t != null;
}
