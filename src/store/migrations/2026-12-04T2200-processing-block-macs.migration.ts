/**
 * Processing blocks that a database writer without the key can neither lift nor plant (issue 13): each block row
 * gets an `id` (`<subject>/<category>`, its primary key as one value) and a `row_mac`, and every subject gets one
 * `block_sets` row — a version counter and a keyed MAC over the subject's whole set of blocks — so that deleting a
 * block row, or every block row and the set row with them, is caught when the gate reads the blocks. A migration
 * holds no key: the MACs and the set rows of existing subjects are written by the first start after it
 * (src/gate/processing-blocks.ts, `backfillBlockSets`), which also writes the set row of the empty subject id that
 * marks the backfill done. `down` drops the MACs and the sets (an `up` after it finds the backfill logged and
 * refuses to start until the operator restores a backup).
 * Frozen in time: never import application code here.
 */
import { sql, type Kysely } from 'kysely';
import { bytesType } from './portable.ts';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('processing_blocks').addColumn('id', 'text').execute();
  await db.schema.alterTable('processing_blocks').addColumn('row_mac', bytesType(db)).execute();
  await sql`update processing_blocks set id = subject_id || '/' || category`.execute(db);
  await db.schema
    .createTable('block_sets')
    // One row per subject, written with the subject and never deleted while it exists.
    .addColumn('subject_id', 'text', (c) => c.primaryKey())
    // Raised by every block and every lift: the MAC of one state is not the MAC of the next.
    .addColumn('version', 'integer', (c) => c.notNull())
    // Keyed BLAKE3 over the subject, the version and every block (category, request, since), sorted.
    .addColumn('set_mac', bytesType(db), (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('block_sets').execute();
  await db.schema.alterTable('processing_blocks').dropColumn('row_mac').execute();
  await db.schema.alterTable('processing_blocks').dropColumn('id').execute();
}
