/**
 * A keyed access log (docs/security.md): each entry records the version of the log key its link is a MAC under
 * (0 = the plain SHA-256 link of the entries written before this migration), and each checkpoint signs the
 * checkpoint cadence and the last plain entry (the log's epoch), so the verifier knows which checkpoints must
 * exist. Rows written before keep NULL there and their v1 signature. Frozen in time: never import application code.
 */
import type { Kysely } from 'kysely';
import { bigintType } from './portable.ts';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('access_log')
    .addColumn('key_version', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('access_log_checkpoints').addColumn('every', 'integer').execute();
  await db.schema.alterTable('access_log_checkpoints').addColumn('epoch', bigintType(db)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('access_log_checkpoints').dropColumn('epoch').execute();
  await db.schema.alterTable('access_log_checkpoints').dropColumn('every').execute();
  await db.schema.alterTable('access_log').dropColumn('key_version').execute();
}
