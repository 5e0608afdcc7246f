/**
 * Vault core schema. Frozen in time: never import application code here, never edit after it ships.
 * Timestamps are ISO-8601 UTC text (fixed width, so they sort as text on both dialects);
 * every column ending in `_ct` holds AES-256-GCM ciphertext and `_bidx` an HMAC blind index.
 */
import type { CreateTableBuilder, Kysely } from 'kysely';
import { bigintType, bytesType } from './portable.ts';

function provenance<T extends string>(t: CreateTableBuilder<T, any>): CreateTableBuilder<T, any> {
  return t
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('collected_at', 'text', (c) => c.notNull())
    .addColumn('legal_basis', 'text', (c) => c.notNull())
    .addColumn('policy_version', 'integer', (c) => c.notNull());
}

export async function up(db: Kysely<any>): Promise<void> {
  const bytes = bytesType(db);
  const bigint = bigintType(db);

  await db.schema
    .createTable('subjects')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('shredded_at', 'text')
    .execute();

  await db.schema
    .createTable('data_keys')
    .addColumn('subject_id', 'text', (c) => c.notNull().references('subjects.id'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('wrapped', bytes, (c) => c.notNull())
    .addColumn('kek_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('data_keys_pk', ['subject_id', 'version'])
    .execute();
  await db.schema.createIndex('data_keys_kek_version_idx').on('data_keys').column('kek_version').execute();

  await db.schema
    .createTable('key_material')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('wrapped', bytes, (c) => c.notNull())
    .addColumn('kek_version', 'integer', (c) => c.notNull())
    .addColumn('public_key', bytes)
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('shred_ledger')
    .addColumn('subject_id', 'text', (c) => c.primaryKey())
    .addColumn('shredded_at', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('signature', bytes, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('policy_versions')
    .addColumn('version', 'integer', (c) => c.primaryKey())
    .addColumn('effective_date', 'text', (c) => c.notNull())
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('document_hash', 'text', (c) => c.notNull())
    .addColumn('published_at', 'text', (c) => c.notNull())
    .addColumn('published_by', 'text', (c) => c.notNull())
    .execute();

  await provenance(
    db.schema
      .createTable('accounts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('subject_id', 'text', (c) => c.notNull().references('subjects.id'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('name_ct', bytes, (c) => c.notNull())
      .addColumn('tax_id_ct', bytes, (c) => c.notNull())
      .addColumn('tax_id_bidx', bytes, (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull()),
  ).execute();
  await db.schema.createIndex('accounts_tax_id_bidx_idx').on('accounts').column('tax_id_bidx').execute();

  await provenance(
    db.schema
      .createTable('people')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('subject_id', 'text', (c) => c.notNull().references('subjects.id'))
      .addColumn('name_ct', bytes, (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull()),
  ).execute();

  await db.schema
    .createTable('account_people')
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('person_id', 'text', (c) => c.notNull().references('people.id'))
    .addColumn('relation', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('account_people_pk', ['account_id', 'person_id'])
    .execute();
  await db.schema.createIndex('account_people_person_idx').on('account_people').column('person_id').execute();

  await provenance(
    db.schema
      .createTable('contact_points')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('person_id', 'text', (c) => c.notNull().references('people.id'))
      .addColumn('subject_id', 'text', (c) => c.notNull().references('subjects.id'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('value_ct', bytes, (c) => c.notNull())
      .addColumn('value_bidx', bytes, (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull()),
  ).execute();
  await db.schema
    .createIndex('contact_points_bidx_idx')
    .on('contact_points')
    .columns(['kind', 'value_bidx'])
    .execute();
  await db.schema.createIndex('contact_points_person_idx').on('contact_points').column('person_id').execute();

  await provenance(
    db.schema
      .createTable('addresses')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('owner_id', 'text', (c) => c.notNull())
      .addColumn('subject_id', 'text', (c) => c.notNull().references('subjects.id'))
      .addColumn('address_ct', bytes, (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull()),
  ).execute();
  await db.schema.createIndex('addresses_owner_idx').on('addresses').column('owner_id').execute();

  await provenance(
    db.schema
      .createTable('contracts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('subject_id', 'text', (c) => c.notNull().references('subjects.id'))
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('started_on', 'text', (c) => c.notNull())
      .addColumn('ended_on', 'text')
      .addColumn('terms_ct', bytes, (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull()),
  ).execute();
  await db.schema.createIndex('contracts_account_idx').on('contracts').column('account_id').execute();

  await provenance(
    db.schema
      .createTable('contract_events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('contract_id', 'text', (c) => c.notNull().references('contracts.id'))
      .addColumn('subject_id', 'text', (c) => c.notNull().references('subjects.id'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('occurred_at', 'text', (c) => c.notNull())
      .addColumn('details_ct', bytes, (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull()),
  ).execute();
  await db.schema
    .createIndex('contract_events_contract_idx')
    .on('contract_events')
    .column('contract_id')
    .execute();

  await provenance(
    db.schema
      .createTable('invoices')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('contract_id', 'text', (c) => c.notNull().references('contracts.id'))
      .addColumn('subject_id', 'text', (c) => c.notNull().references('subjects.id'))
      .addColumn('issued_on', 'text', (c) => c.notNull())
      .addColumn('details_ct', bytes, (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull()),
  ).execute();
  await db.schema.createIndex('invoices_account_idx').on('invoices').column('account_id').execute();

  await provenance(
    db.schema
      .createTable('tickets')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('person_id', 'text', (c) => c.references('people.id'))
      .addColumn('subject_id', 'text', (c) => c.notNull().references('subjects.id'))
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('opened_at', 'text', (c) => c.notNull())
      .addColumn('resolved_at', 'text')
      .addColumn('title_ct', bytes, (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull()),
  ).execute();
  await db.schema.createIndex('tickets_account_idx').on('tickets').column('account_id').execute();

  await provenance(
    db.schema
      .createTable('ticket_messages')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('ticket_id', 'text', (c) => c.notNull().references('tickets.id'))
      .addColumn('subject_id', 'text', (c) => c.notNull().references('subjects.id'))
      .addColumn('author', 'text', (c) => c.notNull())
      .addColumn('sent_at', 'text', (c) => c.notNull())
      .addColumn('body_ct', bytes, (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull()),
  ).execute();
  await db.schema
    .createIndex('ticket_messages_ticket_idx')
    .on('ticket_messages')
    .column('ticket_id')
    .execute();

  await provenance(
    db.schema
      .createTable('credentials')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('person_id', 'text', (c) => c.notNull().references('people.id'))
      .addColumn('subject_id', 'text', (c) => c.notNull().references('subjects.id'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('label', 'text', (c) => c.notNull())
      .addColumn('secret_ct', bytes, (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull()),
  ).execute();
  await db.schema
    .createIndex('credentials_person_idx')
    .on('credentials')
    .columns(['person_id', 'kind'])
    .execute();

  await db.schema
    .createTable('access_log')
    .addColumn('seq', bigint, (c) => c.primaryKey())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text')
    .addColumn('legal_basis', 'text')
    .addColumn('subject_id', 'text')
    .addColumn('categories', 'text', (c) => c.notNull())
    .addColumn('operation', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('policy_version', 'integer', (c) => c.notNull())
    .addColumn('justification', 'text')
    .addColumn('prev_hash', bytes, (c) => c.notNull())
    .addColumn('hash', bytes, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('access_log_subject_idx')
    .on('access_log')
    .columns(['subject_id', 'seq'])
    .execute();

  await db.schema
    .createTable('access_log_head')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('seq', bigint, (c) => c.notNull())
    .addColumn('hash', bytes, (c) => c.notNull())
    .execute();
  // The head exists from the start so appenders only ever lock it, never race to create it.
  await db
    .insertInto('access_log_head')
    .values({ id: 1, seq: 0, hash: Buffer.alloc(32) })
    .execute();

  await db.schema
    .createTable('access_log_checkpoints')
    .addColumn('seq', bigint, (c) => c.primaryKey())
    .addColumn('hash', bytes, (c) => c.notNull())
    .addColumn('signed_at', 'text', (c) => c.notNull())
    .addColumn('signature', bytes, (c) => c.notNull())
    .addColumn('public_key', bytes, (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'access_log_checkpoints',
    'access_log_head',
    'access_log',
    'credentials',
    'ticket_messages',
    'tickets',
    'invoices',
    'contract_events',
    'contracts',
    'addresses',
    'contact_points',
    'account_people',
    'people',
    'accounts',
    'policy_versions',
    'shred_ledger',
    'key_material',
    'data_keys',
    'subjects',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
