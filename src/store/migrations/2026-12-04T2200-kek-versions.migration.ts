/**
 * Master-key versions being retired (issue 14, the rotation window): a writer that wraps a new key checks its
 * version's row in its own transaction, and a rotation marks the row before its last rewrap pass. Version numbers
 * and times only. Frozen in time: never import application code here.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('kek_versions')
    .addColumn('version', 'integer', (c) => c.primaryKey())
    .addColumn('retiring_at', 'text')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('kek_versions').execute();
}
