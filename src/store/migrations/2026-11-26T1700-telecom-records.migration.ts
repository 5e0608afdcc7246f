/**
 * Telecom records at volume. Records are stored in sealed segments (one per account, kind, UTC day and ingest
 * batch) so that one AES-GCM operation covers hundreds of records and retention drops whole days.
 * `telecom_record_keys` makes ingestion idempotent (one keyed hash per record natural key) and
 * `telecom_terms` holds blind indexes of numbers, usernames and IPs per account and day.
 * Nothing here joins across accounts on the hot path, so the tables can be distributed by account (Citus).
 * Frozen in time: never import application code here.
 */
import { sql, type Kysely } from 'kysely';
import { bytesType, dialectOf } from './portable.ts';

export async function up(db: Kysely<any>): Promise<void> {
  const bytes = bytesType(db);
  // SQLite: the key and term tables are clustered on their primary key (one B-tree instead of two per row).
  const clustered = dialectOf(db) === 'sqlite' ? sql`without rowid` : sql``;
  await db.schema
    .createTable('telecom_segments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('first_at', 'text', (c) => c.notNull())
    .addColumn('last_at', 'text', (c) => c.notNull())
    .addColumn('record_count', 'integer', (c) => c.notNull())
    .addColumn('payload_ct', bytes, (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('collected_at', 'text', (c) => c.notNull())
    .addColumn('legal_basis', 'text', (c) => c.notNull())
    .addColumn('policy_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('telecom_segments_account_idx')
    .on('telecom_segments')
    .columns(['account_id', 'kind', 'day'])
    .execute();
  await db.schema
    .createIndex('telecom_segments_day_idx')
    .on('telecom_segments')
    .columns(['kind', 'day'])
    .execute();

  await db.schema
    .createTable('telecom_record_keys')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('record_key', bytes, (c) => c.notNull())
    .addColumn('segment_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('telecom_record_keys_pk', ['kind', 'day', 'record_key'])
    .modifyEnd(clustered)
    .execute();

  // One row per distinct term per account and day (not per record). Keyed by day first: retention drops a day as
  // one contiguous range (keyed by term, a day's terms were scattered over the whole tree and a sweep of 1M CDRs
  // spent most of its time writing dirty pages), and the searches probe it with (kind, day, term, account) taken
  // from the candidate segment, an exact key lookup.
  await db.schema
    .createTable('telecom_terms')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('term', bytes, (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('telecom_terms_pk', ['kind', 'day', 'term', 'account_id'])
    .modifyEnd(clustered)
    .execute();

  await db.schema
    .createTable('attribution_rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('pattern', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('attribution_rules_kind_idx')
    .on('attribution_rules')
    .columns(['kind', 'pattern'])
    .unique()
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['attribution_rules', 'telecom_terms', 'telecom_record_keys', 'telecom_segments']) {
    await db.schema.dropTable(t).execute();
  }
}
