/**
 * Telecom term postings (issue 16): an authority search by number walked every segment header in its window and
 * tested each Bloom filter (44.7 s over 182,500 account-days, against 1.1 ms for a plaintext indexed query).
 * `telecom_term_postings` maps blind-index term hashes to the segments holding them, per (kind, UTC day), in
 * blocks written once by an ingest transaction and merged as a day gathers blocks (telecom-postings.ts). A block
 * is split by the leading bits of the term hash (`bucket`, heap-numbered: 1 = the whole block, 2–3 = by the first
 * bit, …), so a search reads one row per block and day.
 * A migration holds no key and cannot hash the terms of existing segments: it lists them in
 * `telecom_unindexed_segments`, which searches walk as before (Bloom filters) until the application has indexed
 * them (each import first indexes up to 5,000 of them; see RecordIngestService.indexBacklog).
 * Frozen in time: never import application code here.
 */
import { sql, type Kysely } from 'kysely';
import { bytesType, dialectOf } from './portable.ts';

export async function up(db: Kysely<any>): Promise<void> {
  let postings = db.schema
    .createTable('telecom_term_postings')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('bucket', 'integer', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('block', 'text', (c) => c.notNull())
    // Merge generation: blocks of one level and day are merged into one of the next.
    .addColumn('level', 'integer', (c) => c.notNull())
    // Sorted entries: 8 bytes of term hash, then the 16 bytes of the segment id.
    .addColumn('term_postings', bytesType(db), (c) => c.notNull())
    .addPrimaryKeyConstraint('telecom_term_postings_pk', ['kind', 'bucket', 'day', 'block']);
  if (dialectOf(db) === 'sqlite') postings = postings.modifyEnd(sql`without rowid`);
  await postings.execute();
  await db.schema
    .createIndex('telecom_term_postings_day')
    .on('telecom_term_postings')
    .columns(['kind', 'day', 'level'])
    .execute();
  await db.schema
    .createTable('telecom_unindexed_segments')
    .addColumn('segment_id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('telecom_unindexed_segments_day')
    .on('telecom_unindexed_segments')
    .columns(['kind', 'day'])
    .execute();
  await db
    .insertInto('telecom_unindexed_segments')
    .columns(['segment_id', 'kind', 'day'])
    .expression(db.selectFrom('telecom_segments').select(['id', 'kind', 'day']))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('telecom_unindexed_segments').execute();
  await db.schema.dropTable('telecom_term_postings').execute();
}
