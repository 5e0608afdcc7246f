/**
 * The security-incident register (Res. CD/ANPD 15/2024, Art. 10): one row per incident, kept 5 years from the
 * record. Each incident is its own data subject: the free-text description, the measures, the risks and the
 * reasons for a delay are sealed under that subject's key (`*_ct`). Everything else is plain — dates, the
 * categories and the number of subjects affected, the deadline and the communications — because the register
 * and its deadlines need it and none of it names a person.
 * Frozen in time: never import application code here, never edit after it ships.
 */
import type { Kysely } from 'kysely';
import { bytesType } from './portable.ts';

export async function up(db: Kysely<any>): Promise<void> {
  const bytes = bytesType(db);
  await db.schema
    .createTable('security_incidents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subject_id', 'text', (c) => c.notNull().references('subjects.id'))
    .addColumn('occurred_at', 'text')
    .addColumn('known_at', 'text', (c) => c.notNull())
    // JSON array of policy category ids.
    .addColumn('categories', 'text', (c) => c.notNull())
    .addColumn('affected_subjects', 'integer', (c) => c.notNull())
    // How the number was obtained: 'key_version' (computed from the data keys) or 'declared'.
    .addColumn('affected_basis', 'text', (c) => c.notNull())
    .addColumn('kek_version', 'integer')
    .addColumn('communication_due_at', 'text', (c) => c.notNull())
    .addColumn('anpd_communicated_at', 'text')
    .addColumn('subjects_communicated_at', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('description_ct', bytes, (c) => c.notNull())
    .addColumn('measures_ct', bytes)
    .addColumn('risks_ct', bytes)
    .addColumn('delay_reason_ct', bytes)
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('collected_at', 'text', (c) => c.notNull())
    .addColumn('legal_basis', 'text', (c) => c.notNull())
    .addColumn('policy_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('security_incidents_created_idx')
    .on('security_incidents')
    .columns(['created_at', 'id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('security_incidents').execute();
}
