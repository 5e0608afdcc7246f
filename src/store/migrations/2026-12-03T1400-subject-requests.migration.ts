/**
 * Data-subject requests (LGPD Arts. 18–19): one row per request with its type, state, deadline, identity
 * verification and representative, and an insert-only history of every step. No column holds personal data:
 * evidence names contact points and documents by id or kind, reasons are codes, answers are summaries.
 * Frozen in time: never import application code here, never edit after it ships.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('subject_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subject_id', 'text', (c) => c.notNull().references('subjects.id'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('due_at', 'text', (c) => c.notNull())
    .addColumn('original_due_at', 'text', (c) => c.notNull())
    .addColumn('extension_reason', 'text')
    .addColumn('extended_at', 'text')
    // JSON of non-personal parameters (caller identification: the requester's line by contact-point id, instant).
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('verification_method', 'text')
    // JSON: contact-point id, document kind, portal session reference; never the value itself.
    .addColumn('verification_evidence', 'text')
    .addColumn('verified_at', 'text')
    .addColumn('verified_by', 'text')
    .addColumn('representative_kind', 'text')
    .addColumn('representative_person_id', 'text')
    // JSON: kind of proof and its reference (document id in the DPO's file), never its content.
    .addColumn('representative_proof', 'text')
    .addColumn('refusal_reason', 'text')
    .addColumn('answered_at', 'text')
    // JSON summary of the answer (counts, categories, outcome per category); the data itself is never copied here.
    .addColumn('answer', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('subject_requests_open_idx')
    .on('subject_requests')
    .columns(['state', 'due_at'])
    .execute();
  await db.schema
    .createIndex('subject_requests_subject_idx')
    .on('subject_requests')
    .columns(['subject_id', 'received_at'])
    .execute();

  await db.schema
    .createTable('subject_request_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('request_id', 'text', (c) => c.notNull().references('subject_requests.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    // JSON, never personal data.
    .addColumn('details', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('subject_request_events_request_idx')
    .on('subject_request_events')
    .columns(['request_id', 'at'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('subject_request_events').execute();
  await db.schema.dropTable('subject_requests').execute();
}
