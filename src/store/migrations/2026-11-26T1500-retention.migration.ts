/**
 * Retention engine: legal holds (and their insert-only history), sweep runs, the batches each run committed,
 * per-target work rows that several instances lock (`FOR UPDATE SKIP LOCKED` on PostgreSQL), the queue of
 * subjects whose identity data may no longer be needed, and signed deletion certificates.
 * Frozen in time: never import application code here, never edit after it ships.
 */
import type { Kysely } from 'kysely';
import { bigintType, bytesType } from './portable.ts';

// Sweeps scan the core tables in anchor order and check references by foreign key: without these each bounded
// batch would scan the whole table.
const RETENTION_INDEXES = [
  { name: 'tickets_resolved_idx', table: 'tickets', columns: ['resolved_at', 'id'] },
  { name: 'tickets_person_idx', table: 'tickets', columns: ['person_id'] },
  { name: 'contracts_ended_idx', table: 'contracts', columns: ['ended_on', 'id'] },
  { name: 'invoices_contract_idx', table: 'invoices', columns: ['contract_id'] },
] as const;

export async function up(db: Kysely<any>): Promise<void> {
  const bytes = bytesType(db);
  const bigint = bigintType(db);

  for (const index of RETENTION_INDEXES) {
    await db.schema
      .createIndex(index.name)
      .on(index.table)
      .columns([...index.columns])
      .execute();
  }

  await db.schema
    .createTable('legal_holds')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('scope_kind', 'text', (c) => c.notNull())
    .addColumn('scope_id', 'text', (c) => c.notNull())
    // JSON array of category ids.
    .addColumn('categories', 'text', (c) => c.notNull())
    .addColumn('window_from', 'text')
    .addColumn('window_to', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('authority_request_ref', 'text')
    .addColumn('court_request_ref', 'text')
    .addColumn('requested_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('released_at', 'text')
    .addColumn('released_by', 'text')
    .addColumn('release_reason', 'text')
    .execute();
  await db.schema
    .createIndex('legal_holds_scope_idx')
    .on('legal_holds')
    .columns(['scope_kind', 'scope_id'])
    .execute();
  await db.schema.createIndex('legal_holds_released_idx').on('legal_holds').column('released_at').execute();

  await db.schema
    .createTable('legal_hold_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('hold_id', 'text', (c) => c.notNull().references('legal_holds.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('legal_hold_events_hold_idx')
    .on('legal_hold_events')
    .columns(['hold_id', 'at'])
    .execute();

  await db.schema
    .createTable('retention_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('heartbeat_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('deleted_records', bigint, (c) => c.notNull())
    .addColumn('shredded_subjects', 'integer', (c) => c.notNull())
    .addColumn('error_code', 'text')
    // JSON: per-target counts, held items, skipped targets (no personal data).
    .addColumn('report', 'text')
    .addColumn('certificate_id', 'text')
    .execute();
  await db.schema
    .createIndex('retention_runs_status_idx')
    .on('retention_runs')
    .columns(['status', 'heartbeat_at'])
    .execute();

  await db.schema
    .createTable('retention_batches')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('run_id', 'text', (c) => c.notNull().references('retention_runs.id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('target_id', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    // JSON: the rule, its legal source and whether the source was verified, as applied.
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('items', 'integer', (c) => c.notNull())
    .addColumn('records', bigint, (c) => c.notNull())
    // JSON array of the (pseudonymous) subject ids affected, as the access log also records them.
    .addColumn('subject_ids', 'text', (c) => c.notNull())
    .addColumn('shredded', 'integer', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('first_at', 'text', (c) => c.notNull())
    .addColumn('last_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('retention_batches_run_idx')
    .on('retention_batches')
    .columns(['run_id', 'seq'])
    .execute();

  await db.schema
    .createTable('retention_locks')
    .addColumn('target_id', 'text', (c) => c.primaryKey())
    .addColumn('run_id', 'text')
    .addColumn('locked_at', 'text')
    .addColumn('batches', bigint, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('retention_orphans')
    .addColumn('subject_id', 'text', (c) => c.primaryKey())
    // Changed on every enqueue, so a sweeper only dequeues the entry it examined (no lost re-enqueue).
    .addColumn('token', 'text', (c) => c.notNull())
    .addColumn('enqueued_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('deletion_certificates')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('run_id', 'text', (c) => c.notNull().unique().references('retention_runs.id'))
    .addColumn('issued_at', 'text', (c) => c.notNull())
    // Canonical JSON of the signed body (byte-exact, so verification never depends on re-serialisation).
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('signature', bytes, (c) => c.notNull())
    .addColumn('public_key', bytes, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('deletion_certificates_issued_idx')
    .on('deletion_certificates')
    .column('issued_at')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const index of RETENTION_INDEXES) await db.schema.dropIndex(index.name).execute();
  for (const table of [
    'deletion_certificates',
    'retention_orphans',
    'retention_locks',
    'retention_batches',
    'retention_runs',
    'legal_hold_events',
    'legal_holds',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
