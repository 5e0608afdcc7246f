/**
 * Legal secrecy on access-log entries: the steps of a secret authority request (and the reads of the subjects'
 * records they make) are marked, so the subject's own views of the log can leave them out (SPEC §5, §7). Existing
 * entries are not secret. The flag is part of the hashed entry when set.
 * Frozen in time: never import application code here, never edit after it ships.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('access_log')
    .addColumn('legal_secrecy', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('access_log').dropColumn('legal_secrecy').execute();
}
