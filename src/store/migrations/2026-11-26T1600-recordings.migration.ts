/**
 * Support-call recordings (SPEC §1, §3): one row per recording, linked to its ticket. The audio itself is a sealed
 * blob in the blob store (file system or S3) under `blob_key`, a random name that says nothing about the call.
 * Rows start as `uploading` and become `complete` once the whole blob is stored; stale `uploading` rows are
 * garbage-collected. Retention counts from `recorded_at`, so it is plain and indexed.
 * Frozen in time: never import application code here, never edit after it ships.
 */
import type { Kysely } from 'kysely';
import { bigintType, bytesType } from './portable.ts';

export async function up(db: Kysely<any>): Promise<void> {
  const bytes = bytesType(db);
  const bigint = bigintType(db);
  await db.schema
    .createTable('recordings')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('ticket_id', 'text', (c) => c.notNull().references('tickets.id'))
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('subject_id', 'text', (c) => c.notNull().references('subjects.id'))
    .addColumn('blob_key', 'text', (c) => c.notNull().unique())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('key_version', 'integer', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('chunk_size', 'integer', (c) => c.notNull())
    .addColumn('chunk_count', 'integer')
    .addColumn('size_bytes', bigint)
    .addColumn('blob_bytes', bigint)
    .addColumn('blob_sha256', bytes)
    .addColumn('recorded_at', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('collected_at', 'text', (c) => c.notNull())
    .addColumn('legal_basis', 'text', (c) => c.notNull())
    .addColumn('policy_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('completed_at', 'text')
    .execute();
  await db.schema.createIndex('recordings_ticket_idx').on('recordings').column('ticket_id').execute();
  await db.schema.createIndex('recordings_subject_idx').on('recordings').column('subject_id').execute();
  await db.schema.createIndex('recordings_recorded_at_idx').on('recordings').column('recorded_at').execute();
  await db.schema
    .createIndex('recordings_status_created_idx')
    .on('recordings')
    .columns(['status', 'created_at'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('recordings').execute();
}
