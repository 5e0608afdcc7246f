/**
 * Authenticated term postings (issue 16): an attacker who could write the database could delete posting entries
 * and so hide segments from an authority search. Every posting row now carries `postings_mac` (keyed BLAKE3 over
 * kind, day, block, level, bucket and its entries), every (kind, day) a manifest of its blocks
 * (`telecom_posting_days`, MAC'd) and every kind a MAC'd list of its days (`telecom_posting_roots`), so an edited,
 * truncated or removed row, block or day is caught (telecom-postings.ts).
 * A migration holds no key and cannot MAC the postings written since 2026-12-04T1500: it drops them and lists every
 * segment as unindexed again, so imports index them anew (with MACs) and searches meanwhile use the Bloom filters.
 * Frozen in time: never import application code here.
 */
import { sql, type Kysely } from 'kysely';
import { bytesType, dialectOf } from './portable.ts';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('telecom_term_postings').execute();
  let postings = db.schema
    .createTable('telecom_term_postings')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('bucket', 'integer', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('block', 'text', (c) => c.notNull())
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('term_postings', bytesType(db), (c) => c.notNull())
    .addColumn('postings_mac', bytesType(db), (c) => c.notNull())
    .addPrimaryKeyConstraint('telecom_term_postings_pk', ['kind', 'bucket', 'day', 'block']);
  if (dialectOf(db) === 'sqlite') postings = postings.modifyEnd(sql`without rowid`);
  await postings.execute();
  await db.schema
    .createIndex('telecom_term_postings_day')
    .on('telecom_term_postings')
    .columns(['kind', 'day', 'level'])
    .execute();
  await db.schema
    .createTable('telecom_posting_days')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    // 18 bytes a block, sorted by id: the block id's 16 bytes, its level, its split depth.
    .addColumn('blocks', bytesType(db), (c) => c.notNull())
    .addColumn('manifest_mac', bytesType(db), (c) => c.notNull())
    .addPrimaryKeyConstraint('telecom_posting_days_pk', ['kind', 'day'])
    .execute();
  await db.schema
    .createTable('telecom_posting_roots')
    .addColumn('kind', 'text', (c) => c.primaryKey())
    // The days that have postings, sorted, 10 characters each (YYYY-MM-DD).
    .addColumn('days', 'text', (c) => c.notNull())
    .addColumn('root_mac', bytesType(db), (c) => c.notNull())
    .execute();
  await db
    .insertInto('telecom_unindexed_segments')
    .columns(['segment_id', 'kind', 'day'])
    .expression(
      db
        .selectFrom('telecom_segments')
        .select(['id', 'kind', 'day'])
        .where('id', 'not in', db.selectFrom('telecom_unindexed_segments').select('segment_id')),
    )
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('telecom_posting_roots').execute();
  await db.schema.dropTable('telecom_posting_days').execute();
  await db.schema.alterTable('telecom_term_postings').dropColumn('postings_mac').execute();
}
