/**
 * Authority requests (SPEC §7): one row per request of a judge, police chief, prosecutor or administrative
 * authority, and an insert-only history of its steps. Each request is its own data subject: the targets, the
 * delivery contact and the attached order document are sealed under that subject's key (`*_ct`), so shredding a
 * request at the end of its retention destroys them. Everything else is plain: the workflow, the deadline and the
 * DPO's monthly counts need it, and none of it names a person.
 * Frozen in time: never import application code here, never edit after it ships.
 */
import type { Kysely } from 'kysely';
import { bytesType } from './portable.ts';

export async function up(db: Kysely<any>): Promise<void> {
  const bytes = bytesType(db);
  await db.schema
    .createTable('authority_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subject_id', 'text', (c) => c.notNull().references('subjects.id'))
    .addColumn('external_reference', 'text', (c) => c.notNull())
    .addColumn('country', 'text', (c) => c.notNull())
    .addColumn('authority_name', 'text', (c) => c.notNull())
    .addColumn('authority_type', 'text', (c) => c.notNull())
    .addColumn('order_legal_basis', 'text', (c) => c.notNull())
    .addColumn('court_order_ref', 'text')
    // JSON arrays: request types and the policy categories they cover.
    .addColumn('request_types', 'text', (c) => c.notNull())
    .addColumn('categories', 'text', (c) => c.notNull())
    .addColumn('target_count', 'integer', (c) => c.notNull())
    .addColumn('window_from', 'text')
    .addColumn('window_to', 'text')
    .addColumn('deadline', 'text', (c) => c.notNull())
    .addColumn('urgent', 'integer', (c) => c.notNull())
    .addColumn('secret', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('targets_ct', bytes, (c) => c.notNull())
    .addColumn('contact_ct', bytes)
    .addColumn('document_ct', bytes)
    .addColumn('document_content_type', 'text')
    .addColumn('document_sha256', 'text')
    // JSON array of the legal-hold ids a preservation request created.
    .addColumn('hold_ids', 'text', (c) => c.notNull())
    .addColumn('package_sha256', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('approved_by', 'text')
    .addColumn('approved_at', 'text')
    .addColumn('delivered_at', 'text')
    .addColumn('closed_at', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('collected_at', 'text', (c) => c.notNull())
    .addColumn('legal_basis', 'text', (c) => c.notNull())
    .addColumn('policy_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('authority_requests_state_deadline_idx')
    .on('authority_requests')
    .columns(['state', 'deadline'])
    .execute();
  await db.schema
    .createIndex('authority_requests_created_idx')
    .on('authority_requests')
    .column('created_at')
    .execute();

  await db.schema
    .createTable('authority_request_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('request_id', 'text', (c) => c.notNull().references('authority_requests.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    // JSON, never personal data (counts, states, hold ids, digests, the reasons of a decision).
    .addColumn('details', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('authority_request_events_request_idx')
    .on('authority_request_events')
    .columns(['request_id', 'at'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('authority_request_events').execute();
  await db.schema.dropTable('authority_requests').execute();
}
